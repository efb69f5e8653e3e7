import type { Queryable } from '../../db/database.js';
import { jobType, type JobQueue } from '../../platform/jobs/jobs.js';

/**
 * Sends what is due in the outbox (handler: `courier.jobs.ts`). Enqueued with
 * each batch of queued messages, at a retry's or lease's due time, and by the
 * server's sweep. Idempotent: it only claims messages that are due, and a
 * `sent` message is never due again.
 */
export const courierDrainJob = jobType<{ reason: string }>('courier.drain', { maxAttempts: 3, retryDelaySeconds: 5, timeoutSeconds: 600 });

/** Enqueues a drain; inside `transaction` it exists only if the messages it is for commit. */
export async function enqueueCourierDrain(
  jobs: JobQueue,
  options: { transaction?: Queryable; startAfter?: Date; singletonKey?: string; reason?: string } = {},
): Promise<void> {
  const { reason = 'queued', ...rest } = options;
  await jobs.enqueue(courierDrainJob, { reason }, rest);
}
