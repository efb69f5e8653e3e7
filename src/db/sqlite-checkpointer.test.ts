import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { emptyWriteAheadLog } from './sqlite-checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function openInTempDir() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-checkpointer-'));
  dirs.push(dataDir);
  return { handle: openDatabase({ databaseUrl: undefined, dataDir }), file: path.join(dataDir, 'riposte.sqlite') };
}

async function until(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SQLite checkpoints on a thread of their own', () => {
  it('copy the write-ahead log into the database file while the writer never does', async () => {
    const { handle, file } = openInTempDir();
    expect(handle.sqlite?.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await sql`create table rows (id integer primary key, body text not null)`.execute(handle.db);
    const sizeBefore = fs.statSync(file).size;
    // About 4 MB of pages, written in one transaction: only in the log when it commits.
    await handle.db.transaction().execute(async (tx) => {
      for (let i = 0; i < 40; i++)
        await sql`insert into rows (body) select hex(randomblob(500)) from (select 1 from json_each(json_array(${sql.raw(Array(100).fill(1).join(','))})))`.execute(
          tx,
        );
    });
    await until(() => fs.statSync(file).size > sizeBefore + 3_000_000);
    const { rows } = await sql<{ n: number }>`select count(*) as n from rows`.execute(handle.db);
    expect(rows[0]?.n).toBe(4000);
    await handle.close();
  });

  it('leave no log behind once the database is closed', async () => {
    const { handle, file } = openInTempDir();
    await sql`create table notes (body text)`.execute(handle.db);
    await sql`insert into notes (body) values ('kept')`.execute(handle.db);
    await handle.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const reopened = openDatabase({ databaseUrl: undefined, dataDir: path.dirname(file) });
    expect((await sql<{ body: string }>`select body from notes`.execute(reopened.db)).rows).toEqual([{ body: 'kept' }]);
    await reopened.close();
  });

  it('let an erasure empty the log even while another connection is taking a checkpoint', async () => {
    const { handle, file } = openInTempDir();
    await sql`create table notes (body text)`.execute(handle.db);
    // A second checkpointer that never pauses: SQLite answers busy at once to a checkpoint asked for meanwhile.
    const rival = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
      const connection = new (require(workerData.driver))(workerData.file);
      let stopping = false;
      parentPort.on('message', () => { stopping = true; });
      const spin = () => {
        for (let i = 0; i < 200; i++) connection.pragma('wal_checkpoint(PASSIVE)');
        if (!stopping) return setImmediate(spin);
        connection.close();
        parentPort.close();
      };
      parentPort.postMessage('spinning');
      spin();`,
      { eval: true, workerData: { file, driver: createRequire(import.meta.url).resolve('better-sqlite3') } },
    );
    await new Promise((resolve) => rival.once('message', resolve));
    for (let round = 0; round < 20; round++) {
      await sql`insert into notes (body) values (${`secret ${round}`})`.execute(handle.db);
      await sql`delete from notes`.execute(handle.db);
      await handle.flushDeletedData();
      expect(fs.statSync(`${file}-wal`).size).toBe(0);
    }
    rival.postMessage('stop');
    await new Promise((resolve) => rival.once('exit', resolve));
    await handle.close();
  });

  it('say what to do when a reader keeps the log from being emptied', async () => {
    const { handle, file } = openInTempDir();
    await sql`create table notes (body text)`.execute(handle.db);
    const reader = new SQLite(file);
    reader.exec('begin');
    reader.prepare('select count(*) from notes').get();
    await sql`insert into notes (body) values ('after the reader began')`.execute(handle.db);
    const writer = new SQLite(file);
    writer.pragma('busy_timeout = 0');
    await expect(emptyWriteAheadLog(writer, 50)).rejects.toThrow(/could not be emptied.*Stop any other process using this data directory/s);
    reader.exec('rollback');
    await emptyWriteAheadLog(writer, 50);
    expect(fs.statSync(`${file}-wal`).size).toBe(0);
    reader.close();
    writer.close();
    await handle.close();
  });
});
