import type { Queryable } from '../../db/database.js';
import { jobType, type JobQueue } from '../../platform/jobs/jobs.js';
import { pendingBatches, type CampaignRow } from './campaigns.repo.js';

/**
 * One batch of a rotation campaign. Delivery is at least once and the batch
 * is idempotent (its transaction flags only targets not yet flagged), so a
 * retry, a duplicate, or a job left behind by a killed worker changes nothing.
 */
export const rotationBatchJob = jobType<{ campaignId: number; batch: number }>('campaign.rotation-batch', {
  maxAttempts: 10,
  retryDelaySeconds: 1,
  timeoutSeconds: 300,
});

/**
 * Keyed by campaign, batch and run generation: a pause leaves the jobs of its
 * generation done without work, so a resume (or a restart after a crash)
 * needs keys of its own to enqueue the batches again.
 */
export const rotationBatchKey = (campaignId: number, generation: number, batch: number): string =>
  `campaign-${campaignId}-run-${generation}-batch-${batch}`;

/**
 * Enqueues a job per pending batch of `campaign`, in the caller's
 * transaction: every one, or for a `weakest_first` campaign those of the
 * weakest tier still pending (the batch that completes a tier queues the next).
 */
export async function enqueuePendingBatches(
  jobs: JobQueue,
  tx: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'run_generation' | 'batch_order'>,
): Promise<number> {
  const campaignId = Number(campaign.id);
  const generation = Number(campaign.run_generation);
  const batches = await pendingBatches(tx, campaign);
  await jobs.enqueueMany(
    rotationBatchJob,
    batches.map((batch) => ({ payload: { campaignId, batch }, singletonKey: rotationBatchKey(campaignId, generation, batch) })),
    { transaction: tx },
  );
  return batches.length;
}
