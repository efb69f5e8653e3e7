import { sql } from 'kysely';
import PgBoss from 'pg-boss';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { FixedClock } from '../clock.js';
import {
  createJobQueue,
  jobType,
  type JobContext,
  type JobLogger,
  type JobQueue,
  type JobQueueOptions,
  type JobSettlement,
  type JobType,
} from './jobs.js';
import { claimDueLocalJobs } from './local-jobs.repo.js';

const silent: JobLogger = { warn: () => undefined, error: () => undefined };

interface Numbered {
  n: number;
}

describe.each(backends)('job queue on %s', (backend) => {
  let database: TestDatabase;
  let clock: FixedClock;
  let queues: JobQueue[];

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    clock = new FixedClock();
    queues = [];
  });
  afterEach(async () => {
    await Promise.all(queues.map((q) => q.stop()));
    await database.dispose();
  });

  function openQueue(options: Partial<JobQueueOptions> = {}): JobQueue {
    const queue = createJobQueue(database, {
      clock,
      concurrency: 2,
      pollIntervalMs: 50,
      logger: silent,
      pgBoss: { maintenanceIntervalSeconds: 1 },
      ...options,
    });
    queues.push(queue);
    return queue;
  }

  /** Now, as the backend stores times: the injected clock on SQLite, the database's on PostgreSQL. */
  const now = (): number => (backend === 'sqlite' ? clock.now().getTime() : Date.now());

  /** Lets time pass until a job scheduled for later is due. */
  async function makeDue(queue: JobQueue, type: JobType<Numbered>, id: string): Promise<void> {
    if (backend === 'sqlite') {
      const job = await queue.getJob(type, id);
      clock.set(job?.runAt ?? clock.now());
    } else {
      await sql`update pgboss.job set start_after = now() where id = ${id}`.execute(database.db);
    }
  }

  /** A worker claims the job and dies before finishing it (kill -9). */
  async function claimAndDie(type: JobType<Numbered>, id: string): Promise<void> {
    if (backend === 'sqlite') {
      const lockedUntil = new Date(clock.now().getTime() + type.timeoutSeconds * 1000).toISOString();
      const claimed = await claimDueLocalJobs(database.db, {
        locks: [{ name: type.name, lockedUntil }],
        now: clock.now().toISOString(),
        limit: 1,
      });
      expect(claimed.map((j) => j.id)).toEqual([id]);
      return;
    }
    const boss = new PgBoss({ connectionString: database.databaseUrl ?? '', supervise: false, schedule: false, migrate: false });
    await boss.start();
    const [claimed] = await boss.fetch(type.name);
    expect(claimed?.id).toBe(id);
    await boss.stop({ graceful: false });
  }

  function record(queue: JobQueue): JobSettlement[] {
    const settlements: JobSettlement[] = [];
    queue.onSettled((s) => settlements.push(s));
    return settlements;
  }

  it('runs a job once, with its payload', async () => {
    const greet = jobType<Numbered>('test.greet');
    const queue = openQueue();
    const seen: JobContext<Numbered>[] = [];
    queue.define(greet, (job) => {
      seen.push(job);
      return Promise.resolve();
    });
    await queue.start();
    const id = await queue.enqueue(greet, { n: 7 });
    await queue.drain();
    await queue.drain();

    expect(seen).toEqual([{ id, name: 'test.greet', payload: { n: 7 }, attempt: 1 }]);
    expect(await queue.getJob(greet, id ?? '')).toMatchObject({ id, name: 'test.greet', state: 'done', attempts: 1, lastError: undefined });
    expect(await queue.getJob(greet, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('keeps one job per singleton key, pending or done, scoped to its type', async () => {
    const send = jobType<Numbered>('test.send');
    const other = jobType<Numbered>('test.other');
    const queue = openQueue();
    const handled: number[] = [];
    const handle = (job: JobContext<Numbered>): Promise<void> => {
      handled.push(job.payload.n);
      return Promise.resolve();
    };
    queue.define(send, handle);
    queue.define(other, handle);

    const first = await queue.enqueue(send, { n: 1 }, { singletonKey: 'message-1' });
    expect(first).toEqual(expect.any(String));
    expect(await queue.enqueue(send, { n: 2 }, { singletonKey: 'message-1' })).toBeNull();
    expect(await queue.enqueue(other, { n: 3 }, { singletonKey: 'message-1' })).toEqual(expect.any(String));
    await queue.enqueueMany(send, [
      { payload: { n: 4 }, singletonKey: 'message-1' },
      { payload: { n: 5 }, singletonKey: 'message-2' },
      { payload: { n: 5 }, singletonKey: 'message-2' },
      { payload: { n: 8 } },
    ]);
    await queue.start();
    await queue.drain();

    expect(handled.sort((a, b) => a - b)).toEqual([1, 3, 5, 8]);
    expect(await queue.getJob(send, first ?? '')).toMatchObject({ state: 'done' });
    expect(await queue.enqueue(send, { n: 9 }, { singletonKey: 'message-1' })).toBeNull();
    await queue.drain();
    expect(handled).toHaveLength(4);
  });

  it('retries a failing job, then succeeds', async () => {
    const flaky = jobType<Numbered>('test.flaky', { maxAttempts: 3, retryDelaySeconds: 0 });
    const queue = openQueue();
    const settlements = record(queue);
    queue.define(flaky, (job) => (job.attempt === 1 ? Promise.reject(new Error('SMTP server unavailable')) : Promise.resolve()));
    // pg-boss may date an immediate retry a moment ahead of the poll that follows: await the outcome itself.
    const succeeded = new Promise<void>((resolve) => queue.onSettled((settlement) => settlement.outcome === 'done' && resolve()));
    await queue.start();
    const id = await queue.enqueue(flaky, { n: 1 });
    await succeeded;
    await queue.drain();

    expect(settlements).toEqual([
      { id, name: 'test.flaky', attempt: 1, outcome: 'retry', error: 'SMTP server unavailable' },
      { id, name: 'test.flaky', attempt: 2, outcome: 'done', error: undefined },
    ]);
    expect(await queue.getJob(flaky, id ?? '')).toMatchObject({ state: 'done', attempts: 2, maxAttempts: 3, lastError: undefined });
  });

  it('waits longer before each retry', async () => {
    const stubborn = jobType<Numbered>('test.stubborn', { maxAttempts: 3, retryDelaySeconds: 1 });
    const queue = openQueue();
    queue.define(stubborn, () => Promise.reject(new Error('still down')));
    await queue.start();
    const id = (await queue.enqueue(stubborn, { n: 1 })) ?? '';

    await queue.drain();
    const afterFirst = await queue.getJob(stubborn, id);
    expect(afterFirst).toMatchObject({ state: 'queued', attempts: 1, lastError: 'still down' });
    // 1 s, plus up to as much again as jitter on pg-boss.
    const firstDelay = (afterFirst?.runAt.getTime() ?? 0) - now();
    expect(firstDelay).toBeGreaterThan(700);
    expect(firstDelay).toBeLessThanOrEqual(2000);

    await makeDue(queue, stubborn, id);
    await queue.drain();
    const afterSecond = await queue.getJob(stubborn, id);
    expect(afterSecond).toMatchObject({ state: 'queued', attempts: 2 });
    const secondDelay = (afterSecond?.runAt.getTime() ?? 0) - now();
    expect(secondDelay).toBeGreaterThan(1700);
    expect(secondDelay).toBeLessThanOrEqual(4000);

    await makeDue(queue, stubborn, id);
    await queue.drain();
    expect(await queue.getJob(stubborn, id)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'still down' });
  });

  it('leaves a job failed with its error after its last attempt', async () => {
    const doomed = jobType<Numbered>('test.doomed', { maxAttempts: 2, retryDelaySeconds: 0 });
    const queue = openQueue();
    const settlements = record(queue);
    queue.define(doomed, () => Promise.reject(new Error('The mailbox does not exist.')));
    await queue.start();
    const id = await queue.enqueue(doomed, { n: 1 });
    await queue.drain();

    expect(settlements.map((s) => [s.attempt, s.outcome])).toEqual([
      [1, 'retry'],
      [2, 'failed'],
    ]);
    expect(await queue.getJob(doomed, id ?? '')).toMatchObject({ state: 'failed', attempts: 2, lastError: 'The mailbox does not exist.' });
    await queue.drain();
    expect(settlements).toHaveLength(2);
  });

  it('finishes a job whose worker died, once its lock expires', async () => {
    // pg-boss expires locks in real time: keep the test's lock short there.
    const rewrap = jobType<Numbered>('test.rewrap', { timeoutSeconds: backend === 'sqlite' ? 60 : 1, retryDelaySeconds: 0 });
    const producer = openQueue();
    const id = (await producer.enqueue(rewrap, { n: 1 })) ?? '';
    await claimAndDie(rewrap, id);
    expect(await producer.getJob(rewrap, id)).toMatchObject({ state: 'active', attempts: 1 });

    const restarted = openQueue();
    const handled = new Promise<JobContext<Numbered>>((resolve) =>
      restarted.define(rewrap, (job) => {
        resolve(job);
        return Promise.resolve();
      }),
    );
    await restarted.start();
    if (backend === 'sqlite') {
      await restarted.drain();
      expect(await restarted.getJob(rewrap, id)).toMatchObject({ state: 'active', attempts: 1 }); // still locked
      clock.advance(60_000);
    }
    const job = await handled;
    await restarted.drain();

    expect(job).toMatchObject({ id, attempt: 2 });
    expect(await restarted.getJob(rewrap, id)).toMatchObject({ state: 'done', attempts: 2 });
  });

  it('counts a run that overruns its timeout as failed and frees its slot', async () => {
    const hung = jobType<Numbered>('test.hung', { maxAttempts: 1, timeoutSeconds: 1 });
    const queue = openQueue({ concurrency: 1 });
    queue.define(hung, () => new Promise<void>(() => undefined));
    await queue.start();
    const id = (await queue.enqueue(hung, { n: 1 })) ?? '';
    await queue.drain();

    // Either this worker's timer or pg-boss's expiry got there first; both say so.
    expect(await queue.getJob(hung, id)).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringMatching(/timeout/) });
  });

  it('adds a job only if the caller transaction commits', async () => {
    const audit = jobType<Numbered>('test.audit');
    const queue = openQueue();
    const handled: number[] = [];
    queue.define(audit, (job) => {
      handled.push(job.payload.n);
      return Promise.resolve();
    });

    await expect(
      database.db.transaction().execute(async (tx) => {
        await queue.enqueue(audit, { n: 1 }, { transaction: tx, singletonKey: 'change-1' });
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    await database.db.transaction().execute(async (tx) => {
      await queue.enqueueMany(audit, [{ payload: { n: 2 } }], { transaction: tx });
      await queue.enqueue(audit, { n: 3 }, { transaction: tx });
    });
    expect(await queue.enqueue(audit, { n: 4 }, { singletonKey: 'change-1' })).toEqual(expect.any(String));
    await queue.start();
    await queue.drain();

    expect(handled.sort((a, b) => a - b)).toEqual([2, 3, 4]);
  });

  it('does not run a job before its start time', async () => {
    const reminder = jobType<Numbered>('test.reminder');
    const queue = openQueue();
    const handled: number[] = [];
    queue.define(reminder, (job) => {
      handled.push(job.payload.n);
      return Promise.resolve();
    });
    await queue.start();
    const startAfter = new Date(now() + 3_600_000);
    const id = await queue.enqueue(reminder, { n: 1 }, { startAfter });
    await queue.drain();

    expect(handled).toEqual([]);
    expect(await queue.getJob(reminder, id ?? '')).toMatchObject({ state: 'queued', attempts: 0, runAt: startAfter });
  });

  it('runs as many jobs at once as its concurrency allows', async () => {
    const slow = jobType<Numbered>('test.slow');
    const queue = openQueue({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    let openGate = (): void => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    queue.define(slow, async () => {
      running += 1;
      peak = Math.max(peak, running);
      // Holds every run until three run together: fewer slots would never get here.
      if (running === 3) openGate();
      await gate;
      running -= 1;
    });
    await queue.enqueueMany(
      slow,
      [1, 2, 3, 4, 5, 6].map((n) => ({ payload: { n } })),
    );
    await queue.start();
    await queue.drain();

    expect(peak).toBe(3);
  });

  it('refuses to drain a stopped queue', async () => {
    const queue = openQueue();
    await expect(queue.drain()).rejects.toMatchObject({ code: 'JobQueueStopped' });
  });
});

describe('job queue on sqlite, crash on the last attempt', () => {
  it('fails a job whose worker died during its last allowed attempt', async () => {
    const database = await openTestDatabase('sqlite');
    const clock = new FixedClock();
    const queue = createJobQueue(database, { clock, pollIntervalMs: 50, logger: silent });
    try {
      const once = jobType<Numbered>('test.once', { maxAttempts: 1, timeoutSeconds: 60 });
      let runs = 0;
      queue.define(once, () => {
        runs += 1;
        return Promise.resolve();
      });
      const id = (await queue.enqueue(once, { n: 1 })) ?? '';
      await claimDueLocalJobs(database.db, {
        locks: [{ name: once.name, lockedUntil: new Date(clock.now().getTime() + 60_000).toISOString() }],
        now: clock.now().toISOString(),
        limit: 1,
      });
      clock.advance(60_000);
      await queue.start();
      await queue.drain();

      expect(runs).toBe(0);
      expect(await queue.getJob(once, id)).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringContaining('stopped') });
    } finally {
      await queue.stop();
      await database.dispose();
    }
  });
});

describe('job types', () => {
  it('refuses names and policies pg-boss or the local runner could not honour', () => {
    expect(() => jobType('Campaign Batch')).toThrow(expect.objectContaining({ code: 'JobTypeInvalid' }));
    expect(() => jobType('campaign:batch')).toThrow(/lower-case/);
    expect(() => jobType('campaign.batch', { retryDelaySeconds: 0.5 })).toThrow(/retryDelaySeconds/);
    expect(() => jobType('campaign.batch', { timeoutSeconds: 86_400 })).toThrow(/timeoutSeconds/);
    expect(jobType('campaign.rotation-batch')).toEqual({
      name: 'campaign.rotation-batch',
      maxAttempts: 5,
      retryDelaySeconds: 10,
      timeoutSeconds: 900,
    });
  });
});
