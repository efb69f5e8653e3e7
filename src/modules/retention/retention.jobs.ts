import { jobType } from '../../platform/jobs/jobs.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { runRetention } from './retention.service.js';

/** The hour (UTC) of the daily run: a quiet time for most of the world's helpdesks. */
export const RETENTION_HOUR_UTC = 3;

/**
 * The daily retention run, keyed by its day so that however many processes
 * schedule it, it runs once a day; each run schedules the next. A retry or
 * a duplicate is harmless: every batch removes only what is still past its period.
 */
export const retentionDailyJob = jobType<{ day: string }>('retention.daily', {
  maxAttempts: 3,
  retryDelaySeconds: 60,
  timeoutSeconds: 3600,
});

/** The next daily slot at or after `now`: `{ day: 'YYYY-MM-DD', at }`. */
export function nextRetentionSlot(now: Date): { day: string; at: Date } {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), RETENTION_HOUR_UTC));
  if (at.getTime() <= now.getTime()) at.setUTCDate(at.getUTCDate() + 1);
  return { day: at.toISOString().slice(0, 10), at };
}

/** Enqueues the next daily run unless it is already queued (then `null`); call once the worker starts. */
export async function scheduleRetention(deps: Pick<ServiceDeps, 'jobs' | 'clock'>): Promise<string | null> {
  const slot = nextRetentionSlot(deps.clock.now());
  return deps.jobs.enqueue(retentionDailyJob, { day: slot.day }, { singletonKey: `retention-${slot.day}`, startAfter: slot.at });
}

export function defineRetentionJobs(deps: ServiceDeps): void {
  deps.jobs.define(retentionDailyJob, async () => {
    await runRetention(deps);
    await scheduleRetention(deps);
  });
}
