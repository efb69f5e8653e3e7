import { hasPendingSecurityEvents } from '../../platform/audit/security-events.repo.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { deliverDueWebhooks, dispatchSecurityEvents } from './security-event-delivery.js';
import { enqueueSecurityEventsDelivery, securityEventsDeliveryJob } from './security-events-delivery.job.js';
import { configuredSiemSinks } from './siem-sink.js';
import { hasDueDeliveries } from './webhooks.repo.js';

export { enqueueSecurityEventsDelivery, securityEventsDeliveryJob } from './security-events-delivery.job.js';

/**
 * How often a serving process looks for security events to send. Events are
 * written in the audit's transaction by code that knows nothing of jobs, so a
 * cheap probe finds them: within this bound of the change, off the request path.
 */
export const SECURITY_EVENTS_SWEEP_MS = 2_000;

export function defineSecurityEventJobs(deps: ServiceDeps): void {
  const sinks = configuredSiemSinks(deps.config);
  deps.jobs.define(securityEventsDeliveryJob, async () => {
    // A SIEM receiver that is down fails the run, but only after the due webhook deliveries went out.
    const dispatching = await dispatchSecurityEvents(deps, sinks).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error('security event dispatch failed', { cause: error })),
    );
    const run = await deliverDueWebhooks(deps);
    // Keyed by the time, so that many runs seeing the same retry schedule one wake-up for it.
    if (run.nextWakeUp !== null)
      await enqueueSecurityEventsDelivery(deps.jobs, {
        startAfter: new Date(run.nextWakeUp),
        singletonKey: `wake-${run.nextWakeUp}`,
        reason: 'retry',
      });
    if (dispatching !== undefined) throw dispatching;
  });
}

/** For a serving process: a run now (what a crash or a stop left), then a probe every 2 s. Returns the function that stops it. */
export async function startSecurityEventsSweep(deps: ServiceDeps, intervalMs = SECURITY_EVENTS_SWEEP_MS): Promise<() => void> {
  await enqueueSecurityEventsDelivery(deps.jobs, { reason: 'start' });
  const timer = setInterval(() => {
    const now = deps.clock.now();
    Promise.all([hasPendingSecurityEvents(deps.db), hasDueDeliveries(deps.db, now.toISOString())])
      .then(([pending, due]) =>
        pending || due
          ? enqueueSecurityEventsDelivery(deps.jobs, { singletonKey: `sweep-${Math.floor(now.getTime() / intervalMs)}`, reason: 'sweep' })
          : undefined,
      )
      .catch(() => undefined); // the database may be restarting; the next tick tries again
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
