import { sql, type Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import { hasDueLeasedQueueRows, nextLeasedQueueWakeUp } from '../../db/leased-queue.repo.js';
import type { WebhookDeliveriesTable, WebhookSubscriptionsTable } from '../../db/schema.js';

export type WebhookSubscriptionRow = Selectable<WebhookSubscriptionsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;

export const WEBHOOK_SUBSCRIPTION_ID_SEQUENCE = 'webhook_subscriptions';

export async function insertSubscription(db: Queryable, row: WebhookSubscriptionRow): Promise<void> {
  await db.insertInto('webhook_subscriptions').values(row).execute();
}

export function listSubscriptions(db: Queryable, accountId: number): Promise<WebhookSubscriptionRow[]> {
  return db.selectFrom('webhook_subscriptions').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

export function countSubscriptions(db: Queryable, accountId: number): Promise<number> {
  return db
    .selectFrom('webhook_subscriptions')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow()
    .then((row) => Number(row.count));
}

export function findSubscription(db: Queryable, accountId: number, id: number): Promise<WebhookSubscriptionRow | undefined> {
  return db.selectFrom('webhook_subscriptions').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** Removes a subscription and what it has yet to deliver; its delivered history goes with it. */
export async function deleteSubscription(db: Queryable, accountId: number, id: number): Promise<boolean> {
  await db.deleteFrom('webhook_deliveries').where('account_id', '=', accountId).where('subscription_id', '=', id).execute();
  const result = await db.deleteFrom('webhook_subscriptions').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The subscriptions that may receive events of these accounts: their own, and the operators' (account 0). */
export function subscriptionsForAccounts(
  db: Queryable,
  accountIds: readonly number[],
  operatorsAccountId: number,
): Promise<WebhookSubscriptionRow[]> {
  return db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('account_id', 'in', [...new Set([...accountIds, operatorsAccountId])])
    .execute();
}

/** Queues deliveries; one per (subscription, event) ever, so a dispatch run twice adds nothing. */
export async function insertDeliveriesOnce(db: Queryable, rows: readonly WebhookDeliveryRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    await db
      .insertInto('webhook_deliveries')
      .values(rows.slice(start, start + 500))
      .onConflict((oc) => oc.columns(['account_id', 'subscription_id', 'event_id']).doNothing())
      .execute();
  }
}

/**
 * Takes up to `limit` due deliveries in one statement (queued ones whose time
 * has come, and `sending` ones whose sender's lease ran out), as the courier's
 * outbox does: `sending`, a lease, one more attempt. The state test is
 * repeated on the updated row, so two workers never both take one.
 */
export function claimDueDeliveries(db: Queryable, now: string, leaseUntil: string, limit: number): Promise<WebhookDeliveryRow[]> {
  const due = db
    .selectFrom('webhook_deliveries as due')
    .select(['due.account_id', 'due.subscription_id', 'due.event_id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('due.state', '=', 'queued'), eb('due.next_attempt_at', '<=', now)]),
        eb.and([eb('due.state', '=', 'sending'), eb('due.lease_expires_at', '<=', now)]),
      ]),
    )
    .orderBy('due.next_attempt_at')
    .limit(limit);
  return db
    .updateTable('webhook_deliveries')
    .set({ state: 'sending', lease_expires_at: leaseUntil, attempts: sql<number>`attempts + 1` })
    .where((eb) =>
      eb(eb.refTuple('account_id', 'subscription_id', 'event_id'), 'in', due.$asTuple('account_id', 'subscription_id', 'event_id')),
    )
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'queued'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('state', '=', 'sending'), eb('lease_expires_at', '<=', now)]),
      ]),
    )
    .returningAll()
    .execute();
}

/** Settles a claimed delivery; false when the claim was lost (another worker took it over after the lease ran out). */
export async function settleDelivery(
  db: Queryable,
  claim: Pick<WebhookDeliveryRow, 'account_id' | 'subscription_id' | 'event_id' | 'attempts'>,
  values: Partial<Pick<WebhookDeliveryRow, 'state' | 'next_attempt_at' | 'last_status' | 'last_error' | 'delivered_at'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ ...values, lease_expires_at: null })
    .where('account_id', '=', claim.account_id)
    .where('subscription_id', '=', claim.subscription_id)
    .where('event_id', '=', claim.event_id)
    .where('state', '=', 'sending')
    .where('attempts', '=', claim.attempts)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** When a delivery is next due: the earliest queued one or running lease; null when none waits. */
export function nextDeliveryWakeUp(db: Queryable): Promise<string | null> {
  return nextLeasedQueueWakeUp(db, 'webhook_deliveries');
}

/** Whether a delivery is due now (the sweep's probe). */
export function hasDueDeliveries(db: Queryable, now: string): Promise<boolean> {
  return hasDueLeasedQueueRows(db, 'webhook_deliveries', now);
}

/** A subscription's deliveries, newest first (the registration's status). */
export function recentDeliveries(db: Queryable, accountId: number, subscriptionId: number, limit: number): Promise<WebhookDeliveryRow[]> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('subscription_id', '=', subscriptionId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/** Security events dispatched before `cutoff` whose every delivery has settled (delivered or failed). */
function settledEventsBefore(db: Queryable, cutoff: string) {
  return db
    .selectFrom('security_events as event')
    .where('event.dispatched_at', '<', cutoff)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('webhook_deliveries as open')
            .select('open.event_id')
            .whereRef('open.event_id', '=', 'event.event_id')
            .where('open.state', 'in', ['queued', 'sending']),
        ),
      ),
    );
}

/**
 * Retention: at most `limit` security events dispatched before `cutoff` with
 * every delivery settled, and their deliveries. An event still being
 * delivered stays, whatever its age.
 */
export async function deleteSettledSecurityEventsBefore(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const rows = await settledEventsBefore(db, cutoff).select('event.event_id').limit(limit).execute();
  if (rows.length === 0) return 0;
  const ids = rows.map((row) => row.event_id);
  await db.deleteFrom('webhook_deliveries').where('event_id', 'in', ids).execute();
  const deleted = await db.deleteFrom('security_events').where('event_id', 'in', ids).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}

export async function countSettledSecurityEventsBefore(db: Queryable, cutoff: string): Promise<number> {
  const row = await settledEventsBefore(db, cutoff)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
