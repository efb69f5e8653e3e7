import type { ServiceDeps } from '../../platform/service-deps.js';
import { rotationBatchJob } from './rotation-batch.job.js';
import { scheduledStartJob } from './scheduled-start.job.js';
import { startScheduledCampaign } from './campaign-start.service.js';
import { applyCampaignBatch } from './rotation-batch.service.js';

export { enqueuePendingBatches, rotationBatchJob } from './rotation-batch.job.js';

export function defineCampaignJobs(deps: ServiceDeps): void {
  deps.jobs.define(rotationBatchJob, async ({ payload }) => {
    await applyCampaignBatch(deps, payload.campaignId, payload.batch);
  });
  deps.jobs.define(scheduledStartJob, async ({ payload }) => {
    await startScheduledCampaign(deps, payload.campaignId);
  });
}
