import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { systemClock } from '../../src/platform/clock.js';
import { createJobQueue, type JobQueue } from '../../src/platform/jobs/jobs.js';
import { recordResultJob } from '../fixtures/record-result-job.js';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.js';
import { waitUntil } from '../support/wait-until.js';

const JOBS = 200;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workerScript = path.join(root, 'test/fixtures/job-worker.ts');

interface Worker {
  process: ChildProcess;
  pid: number;
  stderr: string[];
}

/** Starts a worker process and resolves once it is polling. */
async function startWorker(databaseUrl: string): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready: ${stderr.join('')}`)));
  });
  return { process: child, pid: child.pid ?? -1, stderr };
}

async function stopWorker(worker: Worker, signal: NodeJS.Signals): Promise<number | null> {
  if (worker.process.exitCode !== null || worker.process.signalCode !== null) return worker.process.exitCode;
  const exited = once(worker.process, 'exit') as Promise<[number | null]>;
  worker.process.kill(signal);
  const [code] = await exited;
  return code;
}

describe.skipIf(!postgresAvailable())('two worker processes on one PostgreSQL', () => {
  let database: { url: string; drop: () => Promise<void> };
  let handle: DatabaseHandle;
  let producer: JobQueue;
  const workers: Worker[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    handle = openDatabase({ databaseUrl: database.url, dataDir: os.tmpdir(), poolSize: 2 });
    await sql`create table job_results (job_key text not null, worker_pid integer not null)`.execute(handle.db);
    producer = createJobQueue(handle, { clock: systemClock });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await producer.stop();
    await handle.close();
    await database.drop();
  });

  const recorded = async (): Promise<number> => {
    const { rows } = await sql<{ count: number }>`select count(*)::int as count from job_results`.execute(handle.db);
    return rows[0]?.count ?? 0;
  };

  it('share the jobs, each done exactly once', async () => {
    workers.push(...(await Promise.all([startWorker(database.url), startWorker(database.url)])));
    await producer.enqueueMany(
      recordResultJob,
      Array.from({ length: JOBS }, (_, i) => ({ payload: { key: `job-${i}` }, singletonKey: `job-${i}` })),
    );

    // Another process does the work: poll its visible effect, with a deadline.
    await waitUntil(async () => (await recorded()) >= JOBS, { message: `the two workers to record ${JOBS} jobs`, intervalMs: 100 });
    // A graceful stop stores the outcome of every run in flight.
    expect(await Promise.all(workers.map((w) => stopWorker(w, 'SIGTERM')))).toEqual([0, 0]);

    const { rows } = await sql<{ job_key: string; worker_pid: number }>`select job_key, worker_pid from job_results`.execute(handle.db);
    expect(rows).toHaveLength(JOBS);
    expect(new Set(rows.map((r) => r.job_key)).size).toBe(JOBS);
    const byWorker = new Map<number, number>();
    for (const row of rows) byWorker.set(row.worker_pid, (byWorker.get(row.worker_pid) ?? 0) + 1);
    expect([...byWorker.keys()].sort()).toEqual(workers.map((w) => w.pid).sort());
    for (const count of byWorker.values()) expect(count).toBeGreaterThan(0);

    const states = await sql<{ state: string; count: number }>`
      select state, count(*)::int as count from pgboss.job where name = ${recordResultJob.name} group by state`.execute(handle.db);
    expect(states.rows).toEqual([{ state: 'completed', count: JOBS }]);
  });
});
