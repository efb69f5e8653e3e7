import { jobType } from '../../platform/jobs/jobs.js';

/**
 * Tells a scheduled campaign's frozen targets, in advance, when and why their
 * password will have to be changed. Queued by the incidents module when it
 * schedules a campaign; handled by the notices module, which writes the mail.
 * Safe to run twice: each notice has its idempotency key.
 */
export const rotationAnnouncementJob = jobType<{ campaignId: number }>('campaign.rotation-announcement', {
  maxAttempts: 5,
  timeoutSeconds: 3600,
});

export const rotationAnnouncementKey = (campaignId: number): string => `campaign-${campaignId}-announcement`;
