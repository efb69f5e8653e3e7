/**
 * The PostgreSQL runner: pg-boss (v10), so any number of worker processes on
 * any number of machines share one queue.
 *
 * Why pg-boss rather than graphile-worker, the other established choice:
 * - It keeps a finished job (completed or failed, with its output) until it is
 *   archived. graphile-worker deletes a job when it succeeds, and its `job_key`
 *   replaces a pending job rather than refusing a second one, so neither "one
 *   job per key while pending or done" nor `getJob()` after success could be
 *   had without a table of our own.
 * - A claim is one plain SQL statement with `FOR UPDATE SKIP LOCKED`. Retries
 *   with exponential backoff and jitter, expiry (crash recovery after the job
 *   type's `timeoutSeconds` rather than a fixed lock age) and retention are
 *   per-job options; queue policies (short, singleton, stately) are there if
 *   a job type ever needs them. Its tables live in their own schema, which
 *   `start()` installs and migrates under an advisory lock: nothing else to
 *   deploy or run.
 * - It exposes the primitives (`fetch`, `complete`, `fail`, `insert`) and can
 *   insert inside the caller's transaction (`db` option), so the loop shared
 *   with the SQLite runner (`runner.ts`) drives it with the same semantics.
 *
 * We call `fetch` / `complete` / `fail` from that loop rather than pg-boss's
 * own `work()`: in v10, `work()` stores a batch's outcome without awaiting it
 * (manager.js: `this.complete(...)` / `this.fail(...)`), so nobody can know
 * when a result is durable (and a rejected write is an unhandled rejection),
 * and one handler call completes or fails a whole batch together.
 *
 * Singleton keys: pg-boss v10 enforces `singletonKey` only under non-default
 * queue policies or a throttling window. Instead the job id is derived from
 * (name, key): the queue's primary key then refuses a second job with the
 * same key for as long as the first is in the job table (pending, active,
 * completed or failed, until archived), and pg-boss returns `null` as it
 * does for any skipped send.
 *
 * Queue creation: v10 requires `createQueue(name)` before send or fetch, and
 * its DDL deadlocks when processes create queues at once (as every worker
 * does on a fresh database), so creation is serialised by an advisory lock
 * (`pg-boss-queues.repo.ts`).
 */
import crypto from 'node:crypto';
import { CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import type { Db, Queryable } from '../../db/database.js';
import type { AnyJobType, JobPayload } from './job-type.js';
import type { EnqueueItem, JobLogger, JobQueue, JobSnapshot, JobState } from './job-queue.js';
import { deletePgBossJobsWithPayload, withQueueCreationLock } from './pg-boss-queues.repo.js';
import { PollingJobQueue, type ClaimedJob, type JobStore, type RunnerOptions } from './runner.js';

export interface PgBossQueueOptions extends RunnerOptions {
  schema?: string;
  poolSize?: number;
  maintenanceIntervalSeconds?: number;
}

/** A UUID (version 8, "custom") derived from the job name and singleton key. */
export function singletonJobId(name: string, key: string): string {
  const bytes = crypto.createHash('sha256').update(`${name}\u0000${key}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Lets pg-boss write inside a Kysely transaction on the same database. */
function inTransaction(transaction: Queryable): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const result = await transaction.executeQuery(CompiledQuery.raw(text, values));
      return { rows: [...result.rows] };
    },
  };
}

const STATES: Record<PgBoss.JobWithMetadata['state'], JobState> = {
  created: 'queued',
  retry: 'queued',
  active: 'active',
  completed: 'done',
  failed: 'failed',
  cancelled: 'failed',
};

/** `fail()` stores `{ message }`; pg-boss's expiry stores `{ value: { message } }`. */
function errorOf(output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const record = output as { message?: unknown; value?: unknown };
  if (typeof record.message === 'string') return record.message;
  return errorOf(record.value);
}

/** Retry and expiry travel with each job, so producers and workers need not share queue settings. */
function jobOptions(type: AnyJobType, item: EnqueueItem<JobPayload>) {
  return {
    ...(item.singletonKey === undefined ? {} : { id: singletonJobId(type.name, item.singletonKey), singletonKey: item.singletonKey }),
    retryLimit: type.maxAttempts - 1,
    retryDelay: type.retryDelaySeconds,
    retryBackoff: type.retryDelaySeconds > 0,
    expireInSeconds: type.timeoutSeconds,
  };
}

export class PgBossJobStore implements JobStore {
  readonly backend = 'pg-boss' as const;
  private started: Promise<PgBoss> | undefined;
  private readonly queues = new Map<string, Promise<void>>();
  private nextTypeIndex = 0;

  constructor(
    private readonly connectionString: string,
    /** The application's pool: holds the queue-creation lock. */
    private readonly db: Db,
    private readonly options: PgBossQueueOptions,
  ) {}

  async open(): Promise<void> {
    await this.boss();
  }

  async close(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    this.queues.clear();
    if (started === undefined) return;
    const boss = await started.catch(() => undefined);
    await boss?.stop({ graceful: false, close: true });
  }

  async insertOne(type: AnyJobType, item: EnqueueItem<JobPayload>, transaction: Queryable | undefined): Promise<string | null> {
    const boss = await this.queue(type.name);
    const options = { ...jobOptions(type, item), startAfter: item.startAfter };
    return boss.send(type.name, item.payload, transaction === undefined ? options : { ...options, db: inTransaction(transaction) });
  }

  async insertMany(type: AnyJobType, items: readonly EnqueueItem<JobPayload>[], transaction: Queryable | undefined): Promise<void> {
    const boss = await this.queue(type.name);
    const jobs = items.map((item) => ({
      ...jobOptions(type, item),
      name: type.name,
      data: item.payload,
      startAfter: item.startAfter?.toISOString(),
    }));
    // One statement (json_to_recordset), duplicates skipped by ON CONFLICT.
    await boss.insert(jobs, transaction === undefined ? {} : { db: inTransaction(transaction) });
  }

  async claim(types: readonly AnyJobType[], limit: number): Promise<ClaimedJob[]> {
    const boss = await this.boss();
    // Start from a different type each poll so one busy type cannot starve the rest.
    const start = this.nextTypeIndex++ % types.length;
    const ordered = [...types.slice(start), ...types.slice(0, start)];
    const claimed: ClaimedJob[] = [];
    for (const type of ordered) {
      const remaining = limit - claimed.length;
      if (remaining <= 0) break;
      await this.queue(type.name);
      const jobs = await boss.fetch<JobPayload>(type.name, { batchSize: remaining, includeMetadata: true });
      for (const job of jobs) {
        claimed.push({ id: job.id, name: job.name, payload: job.data, attempt: job.retryCount + 1, maxAttempts: job.retryLimit + 1 });
      }
    }
    return claimed;
  }

  async complete(job: ClaimedJob): Promise<boolean> {
    const boss = await this.boss();
    return affectedAny(await boss.complete(job.name, job.id));
  }

  async fail(_type: AnyJobType, job: ClaimedJob, error: string): Promise<boolean> {
    const boss = await this.boss();
    // pg-boss applies the retry policy stored with the job (limit, delay, backoff).
    return affectedAny(await boss.fail(job.name, job.id, { message: error }));
  }

  forgetPayloads(transaction: Queryable, field: string, value: string): Promise<number> {
    return deletePgBossJobsWithPayload(transaction, this.options.schema ?? 'pgboss', field, value);
  }

  async find(type: AnyJobType, id: string): Promise<JobSnapshot | undefined> {
    const boss = await this.boss();
    const job = await boss.getJobById<JobPayload>(type.name, id, { includeArchive: true });
    if (job === null) return undefined;
    const state = STATES[job.state];
    return {
      id: job.id,
      name: job.name,
      state,
      attempts: job.startedOn === null ? 0 : job.retryCount + 1,
      maxAttempts: job.retryLimit + 1,
      runAt: new Date(job.startAfter),
      lastError: state === 'queued' || state === 'failed' ? errorOf(job.output) : undefined,
    };
  }

  private boss(): Promise<PgBoss> {
    this.started ??= this.startBoss().catch((error: unknown) => {
      this.started = undefined; // the next call tries again
      throw error;
    });
    return this.started;
  }

  private async startBoss(): Promise<PgBoss> {
    const boss = new PgBoss({
      connectionString: this.connectionString,
      schema: this.options.schema ?? 'pgboss',
      max: this.options.poolSize ?? 4,
      application_name: 'riposte-jobs',
      schedule: false, // no cron queues: leave the timekeeper off
      supervise: true, // expires locks of dead workers, archives old jobs
      maintenanceIntervalSeconds: this.options.maintenanceIntervalSeconds ?? 30,
    });
    const logger: JobLogger = this.options.logger;
    boss.on('error', (error) => logger.error({ err: error.message, backend: 'pg-boss' }, 'pg-boss reported an error.'));
    await boss.start();
    return boss;
  }

  /** pg-boss v10 requires a queue to exist before send or fetch; made once per name and process. */
  private async queue(name: string): Promise<PgBoss> {
    const boss = await this.boss();
    let ready = this.queues.get(name);
    if (ready === undefined) {
      ready = this.createQueue(boss, name).catch((error: unknown) => {
        this.queues.delete(name);
        throw error;
      });
      this.queues.set(name, ready);
    }
    await ready;
    return boss;
  }

  private async createQueue(boss: PgBoss, name: string): Promise<void> {
    if ((await boss.getQueue(name)) !== null) return;
    // Idempotent: a process that waited for the lock finds the queue made and returns.
    await withQueueCreationLock(this.db, () => boss.createQueue(name));
  }
}

/**
 * pg-boss returns `{ affected }` from complete/fail (its typings say void).
 * 0 means the job was no longer active: its lock expired and it moved on.
 */
function affectedAny(result: unknown): boolean {
  const affected = (result as { affected?: unknown } | undefined)?.affected;
  return typeof affected !== 'number' || affected > 0;
}

/** The shared queue over pg-boss; see `createJobQueue`. */
export function createPgBossJobQueue(connectionString: string, db: Db, options: PgBossQueueOptions): JobQueue {
  return new PollingJobQueue(new PgBossJobStore(connectionString, db, options), options);
}
