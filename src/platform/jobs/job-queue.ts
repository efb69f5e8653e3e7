import type { Queryable } from '../../db/database.js';
import type { AnyJobType, JobPayload, JobType } from './job-type.js';

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
  /**
   * Deletes stored jobs (queued, finished or archived) whose payload has
   * `field` equal to `value`, in the caller's transaction: erasure uses it so
   * no job keeps an erased person's address. Returns how many went.
   */
  forgetPayloads(transaction: Queryable, field: string, value: string): Promise<number>;
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
