import type { ServiceDeps } from '../../platform/service-deps.js';
import { drainOutbox } from './courier-delivery.js';
import { courierDrainJob, enqueueCourierDrain } from './courier-drain.job.js';
import { hasDueMessages } from './outbox.repo.js';

export { courierDrainJob, enqueueCourierDrain } from './courier-drain.job.js';

/** One run sends for at most this long, then hands over to a fresh job. */
const RUN_BUDGET_MS = 60_000;
/** How often a serving process checks for due mail that no job announced. */
export const SWEEP_INTERVAL_MS = 30_000;

export function defineCourierJobs(deps: ServiceDeps): void {
  deps.jobs.define(courierDrainJob, async () => {
    const result = await drainOutbox(deps, { maxDurationMs: RUN_BUDGET_MS });
    if (result.more) await enqueueCourierDrain(deps.jobs, { reason: 'continue' });
    else if (result.nextWakeUp !== null)
      // Keyed by the time, so that many runs seeing the same retry schedule one drain for it.
      await enqueueCourierDrain(deps.jobs, {
        startAfter: new Date(result.nextWakeUp),
        singletonKey: `wake-${result.nextWakeUp}`,
        reason: 'retry',
      });
  });
}

/**
 * For a serving process: a drain now (mail left by a crash or queued while
 * no server ran), then a cheap check every 30 s that enqueues one when mail
 * is due. Returns the function that stops it.
 */
export async function startCourierSweep(deps: ServiceDeps, intervalMs = SWEEP_INTERVAL_MS): Promise<() => void> {
  await enqueueCourierDrain(deps.jobs, { reason: 'start' });
  const timer = setInterval(() => {
    const now = deps.clock.now();
    hasDueMessages(deps.db, now.toISOString())
      .then((due) =>
        due
          ? enqueueCourierDrain(deps.jobs, { singletonKey: `sweep-${Math.floor(now.getTime() / intervalMs)}`, reason: 'sweep' })
          : undefined,
      )
      .catch(() => undefined); // the database may be restarting; the next tick tries again
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
