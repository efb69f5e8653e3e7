import { PLATFORM_ACCOUNT_ID } from '../../platform/audit/audit.service.js';
import {
  markSecurityEventsDispatched,
  pendingSecurityEvents,
  securityEventBodies,
  type SecurityEventRow,
} from '../../platform/audit/security-events.repo.js';
import { decryptSecretsConfidential } from '../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import type { SiemSink } from './siem-sink.js';
import { postWebhook } from './webhook-endpoint.js';
import { webhookHeaders } from './webhook-signature.js';
import {
  claimDueDeliveries,
  insertDeliveriesOnce,
  nextDeliveryWakeUp,
  settleDelivery,
  subscriptionsForAccounts,
  type WebhookDeliveryRow,
  type WebhookSubscriptionRow,
} from './webhooks.repo.js';
import { subscriptionSecretLocation } from './webhook-subscriptions.service.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'config'>;

const DISPATCH_BATCH = 500;
const DELIVERY_BATCH = 50;
/** A delivery's lease: its POST times out well before, so a live sender never loses its claim. */
const LEASE_MS = 60_000;
/** Attempts before a delivery is left `failed`: with the backoff below, about 16.5 hours of retrying. */
export const MAX_DELIVERY_ATTEMPTS = 12;
const BASE_RETRY_MS = 30_000;

/** Wait before the retry that follows failed attempt `attempt` (1-based): 30 s doubling, capped at 8 h. */
export const deliveryRetryDelayMs = (attempt: number): number =>
  Math.min(BASE_RETRY_MS * 2 ** Math.max(0, attempt - 1), 8 * 60 * 60 * 1000);

const wants = (subscription: WebhookSubscriptionRow, event: SecurityEventRow): boolean => {
  // A customer's endpoint gets its own account's events only; the operators' gets every account's.
  if (Number(subscription.account_id) !== PLATFORM_ACCOUNT_ID && Number(subscription.account_id) !== Number(event.account_id)) return false;
  if (subscription.event_types === null) return true;
  return (JSON.parse(subscription.event_types) as string[]).includes(event.type);
};

/**
 * Takes the oldest undispatched events: queues a delivery per matching
 * subscription, writes them to the SIEM sinks, and marks them dispatched, a
 * batch at a time. A sink that fails leaves the batch pending (the job retries
 * it), so the SIEM stream is at least once; its webhook deliveries are queued
 * already, and once per (event, subscription) however often it is retried.
 * Returns how many events it dispatched.
 */
export async function dispatchSecurityEvents(deps: Deps, sinks: readonly SiemSink[]): Promise<number> {
  let dispatched = 0;
  for (;;) {
    const events = await pendingSecurityEvents(deps.db, DISPATCH_BATCH);
    if (events.length === 0) return dispatched;
    const now = deps.clock.now().toISOString();
    const subscriptions = await subscriptionsForAccounts(
      deps.db,
      events.map((event) => Number(event.account_id)),
      PLATFORM_ACCOUNT_ID,
    );
    const deliveries: WebhookDeliveryRow[] = events.flatMap((event) =>
      subscriptions
        .filter((subscription) => wants(subscription, event))
        .map((subscription) => ({
          account_id: Number(subscription.account_id),
          subscription_id: Number(subscription.id),
          event_id: event.event_id,
          state: 'queued' as const,
          attempts: 0,
          next_attempt_at: now,
          lease_expires_at: null,
          last_status: null,
          last_error: null,
          delivered_at: null,
          created_at: now,
        })),
    );
    // Webhooks first, once per (event, endpoint) however often this batch is retried: a SIEM receiver that is down does not hold them.
    await insertDeliveriesOnce(deps.db, deliveries);
    for (const sink of sinks) await sink.write(events.map((event) => ({ occurredAt: event.occurred_at, json: event.body })));
    await markSecurityEventsDispatched(deps.db, events, now);
    dispatched += events.length;
    if (events.length < DISPATCH_BATCH) return dispatched;
  }
}

export interface DeliveryRun {
  delivered: number;
  retrying: number;
  failed: number;
  /** When the next delivery is due (a retry or a lease), for the job to wake up then; null when none waits. */
  nextWakeUp: string | null;
}

async function secretsOf(deps: Deps, subscriptions: readonly WebhookSubscriptionRow[]): Promise<Map<string, string>> {
  const secrets = await decryptSecretsConfidential(
    deps.db,
    deps.keyring,
    subscriptions.map((subscription) => ({
      ...subscriptionSecretLocation(Number(subscription.account_id), Number(subscription.id)),
      sealed: subscription.secret_sealed,
    })),
  );
  return new Map(subscriptions.map((subscription, index) => [`${subscription.account_id}:${subscription.id}`, secrets[index] ?? '']));
}

const describeFailure = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 500);

/**
 * Sends the due deliveries, every endpoint in parallel so a slow or failing one
 * holds up none of the others; each failure is retried with growing waits
 * (`deliveryRetryDelayMs`) until `MAX_DELIVERY_ATTEMPTS`. Every attempt of an
 * event carries the same `webhook-id` (the event's id) and body, so a receiver
 * can drop repeats.
 */
export async function deliverDueWebhooks(deps: Deps): Promise<DeliveryRun> {
  const run: DeliveryRun = { delivered: 0, retrying: 0, failed: 0, nextWakeUp: null };
  for (;;) {
    const now = deps.clock.now();
    const claimed = await claimDueDeliveries(deps.db, now.toISOString(), new Date(now.getTime() + LEASE_MS).toISOString(), DELIVERY_BATCH);
    if (claimed.length === 0) break;
    const owners = await subscriptionsForAccounts(
      deps.db,
      claimed.map((claim) => Number(claim.account_id)),
      PLATFORM_ACCOUNT_ID,
    );
    const subscriptions = new Map(owners.map((subscription) => [`${subscription.account_id}:${subscription.id}`, subscription]));
    const secrets = await secretsOf(deps, [...subscriptions.values()]);
    const bodies = await securityEventBodies(
      deps.db,
      claimed.map((claim) => claim.event_id),
    );
    const outcomes = await Promise.all(
      claimed.map(async (claim) => {
        const key = `${claim.account_id}:${claim.subscription_id}`;
        const subscription = subscriptions.get(key);
        const body = bodies.get(claim.event_id);
        if (subscription === undefined || body === undefined) {
          await settleDelivery(deps.db, claim, { state: 'failed', last_error: 'the subscription or the event no longer exists' });
          return 'failed' as const;
        }
        let status: number | null = null;
        let error: string | null = null;
        try {
          const headers = webhookHeaders(secrets.get(key) ?? '', claim.event_id, deps.clock.now(), body);
          status = (await postWebhook(subscription.url, headers, body, { allowPrivate: deps.config.webhooksAllowPrivate === true })).status;
          if (status < 200 || status > 299) error = `the endpoint answered ${status}`;
        } catch (failure) {
          error = describeFailure(failure);
        }
        const settledAt = deps.clock.now();
        if (error === null) {
          await settleDelivery(deps.db, claim, {
            state: 'delivered',
            delivered_at: settledAt.toISOString(),
            last_status: status,
            last_error: null,
          });
          return 'delivered' as const;
        }
        if (claim.attempts >= MAX_DELIVERY_ATTEMPTS) {
          await settleDelivery(deps.db, claim, { state: 'failed', last_status: status, last_error: error });
          return 'failed' as const;
        }
        const next = new Date(settledAt.getTime() + deliveryRetryDelayMs(claim.attempts)).toISOString();
        await settleDelivery(deps.db, claim, { state: 'queued', next_attempt_at: next, last_status: status, last_error: error });
        return 'retrying' as const;
      }),
    );
    for (const outcome of outcomes) run[outcome] += 1;
    if (claimed.length < DELIVERY_BATCH) break;
  }
  run.nextWakeUp = await nextDeliveryWakeUp(deps.db);
  return run;
}
