import type { Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { incidentNotifyJob } from './incident-notify.job.js';
import { notifiableIncident } from './incident-notices.service.js';

export interface NotifyRequest {
  incidentId: number;
  scopeVersion: number;
  users: boolean;
  retryFailed: boolean;
  /** The background job that builds and queues the notices (`courier.incident-notify`). */
  jobId: string | null;
}

/**
 * The HTTP form of `incident notify`: checks the incident can be notified
 * (404, 409 at once), then leaves the building of the notices to a job and
 * answers; `GET …/notifications` follows the delivery.
 *
 * @example
 * await requestIncidentNotification(deps, { incidentId: 1, users: false, retryFailed: false, actor: { type: 'staff', id: 3 } });
 * // { incidentId: 1, scopeVersion: 2, users: false, retryFailed: false, jobId: '…' }
 */
export async function requestIncidentNotification(
  deps: Pick<ServiceDeps, 'db' | 'jobs'>,
  input: { incidentId: number; users: boolean; retryFailed: boolean; actor: Actor },
): Promise<NotifyRequest> {
  const { version } = await notifiableIncident(deps, input.incidentId);
  const { incidentId, users, retryFailed, actor } = input;
  const jobId = await deps.jobs.enqueue(incidentNotifyJob, { incidentId, users, retryFailed, actor });
  return { incidentId, scopeVersion: version, users, retryFailed, jobId };
}
