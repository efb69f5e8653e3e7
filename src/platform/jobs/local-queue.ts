/**
 * The SQLite runner: jobs are rows of `local_jobs`, run by this process.
 *
 * SQLite has one writer at a time, so a claim is one `UPDATE ... RETURNING`
 * over the due rows and needs no row locks; a lock is a `locked_until` time,
 * and an active job whose lock has passed is simply claimable again. That is
 * the crash recovery: a kill -9 leaves the job active, and the next start
 * claims it once `timeoutSeconds` have passed since the dead run began.
 * Stored times come from the injected clock.
 */
import crypto from 'node:crypto';
import type { Db, Queryable } from '../../db/database.js';
import type { Clock } from '../clock.js';
import { retryDelaySeconds, type AnyJobType, type JobPayload } from './job-type.js';
import type { EnqueueItem, JobQueue, JobSnapshot } from './job-queue.js';
import {
  claimDueLocalJobs,
  failAbandonedLocalJobs,
  deleteLocalJobsWithPayload,
  findLocalJob,
  insertLocalJobs,
  settleLocalJob,
  type LocalJobRow,
  type NewLocalJob,
} from './local-jobs.repo.js';
import { PollingJobQueue, type ClaimedJob, type JobStore, type RunnerOptions } from './runner.js';

const ABANDONED = 'The worker running the last allowed attempt stopped (or overran its timeout) before finishing.';

/** Singleton keys are scoped to their job type, as pg-boss scopes them to a queue. */
const scopedKey = (type: AnyJobType, key: string | undefined): string | null => (key === undefined ? null : `${type.name}:${key}`);

export class LocalJobStore implements JobStore {
  readonly backend = 'local' as const;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  open(): Promise<void> {
    return Promise.resolve();
  }

  /** The database handle belongs to the caller, who closes it. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  async insertOne(type: AnyJobType, item: EnqueueItem<JobPayload>, transaction: Queryable | undefined): Promise<string | null> {
    const [id] = await insertLocalJobs(transaction ?? this.db, [this.newRow(type, item)]);
    return id ?? null;
  }

  async insertMany(type: AnyJobType, items: readonly EnqueueItem<JobPayload>[], transaction: Queryable | undefined): Promise<void> {
    const rows = items.map((item) => this.newRow(type, item));
    if (transaction !== undefined) await insertLocalJobs(transaction, rows);
    else await this.db.transaction().execute((tx) => insertLocalJobs(tx, rows));
  }

  async claim(types: readonly AnyJobType[], limit: number): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    const names = types.map((t) => t.name);
    await failAbandonedLocalJobs(this.db, names, now.toISOString(), ABANDONED);
    const locks = types.map((t) => ({ name: t.name, lockedUntil: new Date(now.getTime() + t.timeoutSeconds * 1000).toISOString() }));
    const rows = await claimDueLocalJobs(this.db, { locks, now: now.toISOString(), limit });
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      payload: JSON.parse(row.payload) as unknown,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
    }));
  }

  complete(job: ClaimedJob): Promise<boolean> {
    return settleLocalJob(this.db, job.id, job.attempt, { state: 'done', at: this.clock.now().toISOString() });
  }

  fail(type: AnyJobType, job: ClaimedJob, error: string): Promise<boolean> {
    const now = this.clock.now();
    if (job.attempt >= job.maxAttempts) {
      return settleLocalJob(this.db, job.id, job.attempt, { state: 'failed', at: now.toISOString(), error });
    }
    const runAt = new Date(now.getTime() + retryDelaySeconds(type, job.attempt) * 1000).toISOString();
    return settleLocalJob(this.db, job.id, job.attempt, { state: 'queued', runAt, error });
  }

  forgetPayloads(transaction: Queryable, field: string, value: string): Promise<number> {
    return deleteLocalJobsWithPayload(transaction, field, value);
  }

  async find(type: AnyJobType, id: string): Promise<JobSnapshot | undefined> {
    const row = await findLocalJob(this.db, type.name, id);
    return row === undefined ? undefined : snapshot(row);
  }

  private newRow(type: AnyJobType, item: EnqueueItem<JobPayload>): NewLocalJob {
    const now = this.clock.now().toISOString();
    return {
      id: crypto.randomUUID(),
      name: type.name,
      payload: JSON.stringify(item.payload),
      singleton_key: scopedKey(type, item.singletonKey),
      state: 'queued',
      attempts: 0,
      max_attempts: type.maxAttempts,
      run_at: item.startAfter?.toISOString() ?? now,
      created_at: now,
    };
  }
}

function snapshot(row: LocalJobRow): JobSnapshot {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: new Date(row.run_at),
    lastError: row.last_error ?? undefined,
  };
}

/** The in-process queue over `local_jobs`; see `createJobQueue`. */
export function createLocalJobQueue(db: Db, options: RunnerOptions & { clock: Clock }): JobQueue {
  return new PollingJobQueue(new LocalJobStore(db, options.clock), options);
}
