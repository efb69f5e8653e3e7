import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { AppError } from '../errors.js';

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

/** How long `emptyWriteAheadLog` keeps trying: two of the writer's five-second busy timeouts, which one try may spend waiting for readers. */
const EMPTY_LOG_DEADLINE_MS = 10_000;

/**
 * Copies the whole write-ahead log into the database file and truncates it,
 * so pages as they were before a deletion leave the files. SQLite answers
 * busy at once, without calling the busy handler, while another connection
 * (the checkpointer's thread) holds the checkpoint lock, and reports it in
 * the pragma's row rather than as an error: so this asks again until the row
 * says done.
 */
export async function emptyWriteAheadLog(connection: SQLite.Database, deadlineMs = EMPTY_LOG_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const [outcome] = connection.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (outcome?.busy === 0) return;
    if (Date.now() > deadline)
      throw new AppError(
        'DeletedDataNotFlushed',
        `SQLite's write-ahead log could not be emptied within ${deadlineMs / 1000} s: another connection keeps the database busy. ` +
          'Stop any other process using this data directory, then run the same request again; it is safe to repeat.',
      );
    await sleep(5);
  }
}
