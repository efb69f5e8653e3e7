import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** SQLite's own threshold for a checkpoint when the writer runs them: a thousand pages. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/**
 * The checkpointer's thread, as plain CommonJS (a worker evaluates it, so it
 * runs the same from the sources under tsx or vitest and from dist/). It opens
 * its own connection and, whenever the write-ahead log has changed since its
 * last look, copies it into the database file (PASSIVE: it never waits for
 * nor blocks a reader or the writer; what it cannot copy yet is left for the
 * next look).
 */
const CHECKPOINTER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const connection = new Database(workerData.file);
connection.pragma('busy_timeout = 0');
connection.pragma('synchronous = NORMAL');
const wal = workerData.file + '-wal';
let seen = '';
const look = () => {
  let stat;
  try { stat = fs.statSync(wal); } catch { return; }
  const marker = stat.size + ':' + stat.mtimeMs;
  if (marker === seen) return;
  try {
    connection.pragma('wal_checkpoint(PASSIVE)');
    seen = marker;
  } catch {
    // Busy (another checkpoint, or a schema change): the next look tries again.
  }
};
const timer = setInterval(look, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  look();
  connection.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Copies what is left, closes the thread's connection and ends the thread. */
  stop(): Promise<void>;
}

/**
 * Moves SQLite's checkpoints off the writing thread: the connection that
 * writes no longer copies the write-ahead log into the database file (and
 * syncs it) inside whichever commit crosses a thousand pages; a thread of its
 * own does, with its own connection, every `intervalMs` the log has changed.
 * On a machine with a second core a large write (a rotation batch, an import)
 * commits without waiting for the copy. Should the thread fail, the writer
 * takes checkpoints back as SQLite does by default.
 */
export function startCheckpointer(file: string, writer: SQLite.Database, intervalMs = 100): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping = false;
  const takeCheckpointsBack = (): void => {
    if (stopping || !writer.open) return;
    writer.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  };
  worker.on('error', takeCheckpointsBack);
  worker.on('exit', takeCheckpointsBack);
  writer.pragma('wal_autocheckpoint = 0');
  return {
    stop: async () => {
      if (stopping) return;
      stopping = true;
      // Held while it finishes, or a process with nothing else to do would exit before it has.
      worker.ref();
      worker.postMessage('stop');
      await ended;
    },
  };
}
