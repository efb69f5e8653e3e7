import type { ServiceDeps } from '../../platform/service-deps.js';
import { rotationAnnouncementJob } from '../incidents/rotation-announcement.job.js';
import { incidentNotifyJob } from './incident-notify.job.js';
import { notifyIncident } from './incident-notices.service.js';
import { announceRotation } from './rotation-announcement.service.js';

export function defineNoticeJobs(deps: ServiceDeps): void {
  deps.jobs.define(incidentNotifyJob, async ({ payload }) => {
    await notifyIncident(deps, payload);
  });
  deps.jobs.define(rotationAnnouncementJob, async ({ payload }) => {
    await announceRotation(deps, payload.campaignId);
  });
}
