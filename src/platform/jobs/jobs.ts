/**
 * Background work (campaign batches, courier, re-wrap, retention) behind one
 * interface, with two runners chosen by what the database can do:
 *
 * - PostgreSQL (`sharedAcrossProcesses`): pg-boss, so that any number of worker
 *   processes on any number of machines share the work (`pg-boss-queue.ts`).
 * - SQLite: an in-process runner over the `local_jobs` table (`local-queue.ts`).
 *
 * Both give the same guarantees, checked by one conformance suite (`jobs.test.ts`):
 * a job is claimed by one worker at a time; a failed run is retried with a
 * growing delay until `maxAttempts`, then the job stays `failed` with its error;
 * a job whose worker died (kill -9) is claimed again once its lock expires.
 * Delivery is therefore at least once: every handler must be idempotent.
 */
import type { DatabaseHandle, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../clock.js';
import type { AnyJobType, JobPayload, JobType } from './job-type.js';
import { createLocalJobQueue } from './local-queue.js';
import { createPgBossJobQueue } from './pg-boss-queue.js';

export { jobType, type AnyJobType, type JobPayload, type JobType, type JobTypeOptions } from './job-type.js';

/** What a handler is given for one run of one job. */
export interface JobContext<P extends JobPayload> {
  readonly id: string;
  readonly name: string;
  readonly payload: P;
  /** 1 on the first run, 2 on the first retry, ... */
  readonly attempt: number;
}

/** Resolves when the work is done; a rejection (or running past the timeout) fails the attempt. */
export type JobHandler<P extends JobPayload> = (job: JobContext<P>) => Promise<void>;

export interface EnqueueOptions {
  /**
   * Idempotency key, scoped to the job type: while a job with this key exists
   * (pending, running, or kept after it finished or failed) enqueueing it
   * again adds nothing and returns `null`. Finished jobs are kept on SQLite
   * until retention removes them (`finished_jobs`, 30 days by default) and
   * until pg-boss archives them on PostgreSQL (12 hours by default).
   */
  singletonKey?: string;
  /** Not before this time. */
  startAfter?: Date;
  /**
   * The caller's open transaction: the job exists only if it commits, so a
   * state change and the work it implies are saved together or not at all.
   */
  transaction?: Queryable;
}

export interface EnqueueItem<P extends JobPayload> {
  payload: P;
  singletonKey?: string;
  startAfter?: Date;
}

export type JobState = 'queued' | 'active' | 'done' | 'failed';

/** A job as stored, for status pages, operators and tests. */
export interface JobSnapshot {
  id: string;
  name: string;
  state: JobState;
  /** Runs started so far. */
  attempts: number;
  maxAttempts: number;
  /** When it is (or was) due to run next. */
  runAt: Date;
  /** The error of the last failed run while the job is queued for a retry or failed. */
  lastError: string | undefined;
}

/** One run's outcome, reported after it is stored. */
export interface JobSettlement {
  id: string;
  name: string;
  attempt: number;
  outcome: 'done' | 'retry' | 'failed';
  error: string | undefined;
}

/** pino's `logger.warn(details, message)` shape; payloads are never logged. */
export interface JobLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface JobQueue {
  /** Which runner this is, for logs and `/readyz`. */
  readonly backend: 'pg-boss' | 'local';
  /** Registers the handler this process runs for a job type; once per type. */
  define<P extends JobPayload>(type: JobType<P>, handler: JobHandler<P>): void;
  /** Adds one job; returns its id, or `null` when `singletonKey` names an existing job. */
  enqueue<P extends JobPayload>(type: JobType<P>, payload: P, options?: EnqueueOptions): Promise<string | null>;
  /** Adds many jobs in a few statements (duplicates by `singletonKey` are skipped). */
  enqueueMany<P extends JobPayload>(
    type: JobType<P>,
    items: readonly EnqueueItem<P>[],
    options?: { transaction?: Queryable },
  ): Promise<void>;
  /** The stored state of one job, or `undefined` if there is none (or it was purged). */
  getJob(type: AnyJobType, id: string): Promise<JobSnapshot | undefined>;
  /** Calls `listener` after each run's outcome is stored; returns the unsubscribe function. */
  onSettled(listener: (settlement: JobSettlement) => void): () => void;
  /** Starts claiming and running jobs of the defined types. */
  start(): Promise<void>;
  /**
   * Resolves once this worker has run every job that is due now, retries due
   * now included, and has none running. Jobs due later are not waited for.
   */
  drain(): Promise<void>;
  /** Stops claiming, waits for running jobs (each at most its timeout), releases connections. */
  stop(): Promise<void>;
}

export interface JobQueueOptions {
  /** Stored times of the SQLite runner (PostgreSQL uses the database's clock). */
  clock: Clock;
  /** Jobs this process runs at once. Default 2 (`RIPOSTE_JOB_CONCURRENCY`). */
  concurrency?: number;
  /** How often an idle worker looks for due jobs. Default 500 ms on SQLite, 2 s on PostgreSQL. */
  pollIntervalMs?: number;
  logger?: JobLogger;
  /** PostgreSQL only. */
  pgBoss?: {
    /** Schema of pg-boss's tables. Default `pgboss`. */
    schema?: string;
    /** Connections of pg-boss's own pool. Default 4. */
    poolSize?: number;
    /** How often expired locks are released (and old jobs archived). Default 30. */
    maintenanceIntervalSeconds?: number;
  };
}

/** Writes JSON lines to stderr when the caller passes no logger. */
export const stderrJobLogger: JobLogger = {
  warn: (details, message) => console.warn(JSON.stringify({ level: 'warn', msg: message, ...details })),
  error: (details, message) => console.error(JSON.stringify({ level: 'error', msg: message, ...details })),
};

/**
 * The job queue for a database: pg-boss when several processes may share the
 * database, the in-process runner otherwise.
 *
 * @example
 * const queue = createJobQueue(handle, { clock: systemClock, concurrency: config.jobConcurrency });
 * queue.define(rotationBatchJob, runRotationBatch);
 * await queue.start();
 * await queue.enqueue(rotationBatchJob, { campaignId: 7, batch: 3 }, { singletonKey: 'campaign-7-batch-3' });
 * // on shutdown
 * await queue.stop();
 */
export function createJobQueue(handle: DatabaseHandle, options: JobQueueOptions): JobQueue {
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new AppError(
      'ConfigInvalid',
      500,
      `Job concurrency must be a positive whole number, not ${concurrency}. Check RIPOSTE_JOB_CONCURRENCY.`,
    );
  }
  const runner = { concurrency, logger: options.logger ?? stderrJobLogger };
  if (handle.capabilities.sharedAcrossProcesses) {
    if (handle.connectionString === undefined) {
      throw new AppError(
        'ConfigInvalid',
        500,
        'The database is shared across processes but has no connection string for the job queue. Set DATABASE_URL.',
      );
    }
    return createPgBossJobQueue(handle.connectionString, handle.db, {
      ...runner,
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      ...options.pgBoss,
    });
  }
  return createLocalJobQueue(handle.db, { ...runner, pollIntervalMs: options.pollIntervalMs ?? 500, clock: options.clock });
}
