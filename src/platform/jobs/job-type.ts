import { AppError } from '../../errors.js';

/**
 * What a job carries: a JSON object. It is stored as JSON, so a `Date` comes
 * back to the handler as an ISO string; keep payloads to ids and small values
 * and let the handler read the rest from the database.
 */
export type JobPayload = object;

export interface JobTypeOptions {
  /** Runs of one job before it is left failed, the first included. Default 5. */
  maxAttempts?: number;
  /**
   * Base wait before a retry, in whole seconds (pg-boss stores integers): the
   * retry after attempt n waits `retryDelaySeconds × 2^(n−1)` (pg-boss adds up
   * to as much again as jitter, so that many workers do not retry in step).
   * 0 retries at once. Default 10.
   */
  retryDelaySeconds?: number;
  /**
   * How long one run may hold the job. A run still going after it is counted
   * as a failed attempt, and a job whose worker died becomes claimable again
   * after it. Whole seconds, at least 1 and under 24 hours. Default 900.
   */
  timeoutSeconds?: number;
}

declare const payloadType: unique symbol;

/**
 * A kind of background work: its name and retry policy, shared by the code
 * that enqueues it and the code that handles it, and the payload type both
 * agree on. Declare one per kind, beside the module that owns the work.
 */
export interface JobType<P extends JobPayload> {
  readonly name: string;
  readonly maxAttempts: number;
  readonly retryDelaySeconds: number;
  readonly timeoutSeconds: number;
  /** Never set at run time; carries `P` so `enqueue` and `define` agree. */
  readonly [payloadType]?: P;
}

export type AnyJobType = JobType<JobPayload>;

export const jobTypeDefaults = { maxAttempts: 5, retryDelaySeconds: 10, timeoutSeconds: 900 } as const;

// Lower-case words joined by dots or hyphens: no ':' (the local runner scopes
// singleton keys as `name:key`) and nothing a log line or a queue table would mangle.
const JOB_NAME = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;
const MAX_TIMEOUT_SECONDS = 24 * 60 * 60 - 1;

function invalidJobType(name: string, message: string): AppError {
  return new AppError('JobTypeInvalid', `Job type "${name}": ${message}. Fix its declaration.`);
}

function checkInteger(name: string, option: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidJobType(name, `${option} must be a whole number from ${min} to ${max}, not ${value}`);
  }
  return value;
}

/**
 * Declares a kind of background work.
 *
 * @example
 * export const rotationBatchJob = jobType<{ campaignId: number; batch: number }>('campaign.rotation-batch', { maxAttempts: 10 });
 * queue.define(rotationBatchJob, async ({ payload }) => runBatch(payload.campaignId, payload.batch));
 * await queue.enqueue(rotationBatchJob, { campaignId: 7, batch: 3 }, { singletonKey: 'campaign-7-batch-3' });
 */
export function jobType<P extends JobPayload>(name: string, options: JobTypeOptions = {}): JobType<P> {
  if (name.length > 100 || !JOB_NAME.test(name)) {
    throw invalidJobType(name, 'the name must be lower-case words joined by "." or "-" (at most 100 characters)');
  }
  return Object.freeze({
    name,
    maxAttempts: checkInteger(name, 'maxAttempts', options.maxAttempts ?? jobTypeDefaults.maxAttempts, 1, 1000),
    retryDelaySeconds: checkInteger(
      name,
      'retryDelaySeconds',
      options.retryDelaySeconds ?? jobTypeDefaults.retryDelaySeconds,
      0,
      MAX_TIMEOUT_SECONDS,
    ),
    timeoutSeconds: checkInteger(name, 'timeoutSeconds', options.timeoutSeconds ?? jobTypeDefaults.timeoutSeconds, 1, MAX_TIMEOUT_SECONDS),
  });
}

/** Seconds to wait before the retry that follows failed attempt `attempt` (1-based), without jitter. */
export function retryDelaySeconds(type: AnyJobType, attempt: number): number {
  // Same exponent cap as pg-boss, so both backends agree on the longest wait.
  return type.retryDelaySeconds * 2 ** Math.min(16, Math.max(0, attempt - 1));
}
