import type { Queryable } from '../../db/database.js';
import { jobType, type JobQueue } from '../../platform/jobs/jobs.js';

/**
 * Takes security events out (handler: `security-events.jobs.ts`): the SIEM
 * stream, then the webhooks that are due. Enqueued by the server's sweep and
 * at a retry's due time. Idempotent: dispatched events are not dispatched
 * again, a delivered webhook is not due again.
 */
export const securityEventsDeliveryJob = jobType<{ reason: string }>('security-events.deliver', {
  maxAttempts: 3,
  retryDelaySeconds: 5,
  timeoutSeconds: 600,
});

export async function enqueueSecurityEventsDelivery(
  jobs: JobQueue,
  options: { transaction?: Queryable; startAfter?: Date; singletonKey?: string; reason?: string } = {},
): Promise<void> {
  const { reason = 'queued', ...rest } = options;
  await jobs.enqueue(securityEventsDeliveryJob, { reason }, rest);
}
