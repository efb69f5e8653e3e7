import { jobType } from '../../platform/jobs/jobs.js';

/**
 * Starts a scheduled campaign at its time. Stored with the queue, so it
 * survives restarts; keyed by campaign, so it is queued once; and starting
 * moves the campaign out of `scheduled` in one statement, so of two processes
 * running it only one starts the campaign.
 */
export const scheduledStartJob = jobType<{ campaignId: number }>('campaign.scheduled-start', {
  maxAttempts: 10,
  retryDelaySeconds: 5,
  timeoutSeconds: 300,
});

export const scheduledStartKey = (campaignId: number): string => `campaign-${campaignId}-scheduled-start`;
