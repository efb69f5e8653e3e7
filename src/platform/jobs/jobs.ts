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
import type { DatabaseHandle } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../clock.js';
import type { JobLogger, JobQueue } from './job-queue.js';
import { createLocalJobQueue } from './local-queue.js';
import { createPgBossJobQueue } from './pg-boss-queue.js';

export { jobType, type AnyJobType, type JobPayload, type JobType, type JobTypeOptions } from './job-type.js';

export type {
  EnqueueItem,
  EnqueueOptions,
  JobContext,
  JobHandler,
  JobLogger,
  JobQueue,
  JobSettlement,
  JobSnapshot,
  JobState,
} from './job-queue.js';

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
      'InvalidConfiguration',
      `Job concurrency must be a positive whole number, not ${concurrency}. Check RIPOSTE_JOB_CONCURRENCY.`,
    );
  }
  const runner = { concurrency, logger: options.logger ?? stderrJobLogger };
  if (handle.capabilities.sharedAcrossProcesses) {
    if (handle.connectionString === undefined) {
      throw new AppError(
        'InvalidConfiguration',
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
