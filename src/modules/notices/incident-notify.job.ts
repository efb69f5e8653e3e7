import type { Actor } from '../../platform/audit/audit.service.js';
import { jobType } from '../../platform/jobs/jobs.js';

/**
 * `POST /ops/v1/incidents/{id}/notifications` in the background: building
 * ten thousand tailored notices takes longer than a request should. Safe to
 * run twice: every notice has its idempotency key.
 */
export const incidentNotifyJob = jobType<{ incidentId: number; users: boolean; retryFailed?: boolean; actor: Actor }>(
  // The name predates the notices module; jobs already queued under it still run.
  'courier.incident-notify',
  {
    maxAttempts: 3,
    timeoutSeconds: 3600,
  },
);
