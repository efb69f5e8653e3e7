import type { Queryable } from './database.js';

/**
 * Tables worked as leased queues: a row is `queued` until `next_attempt_at`,
 * then `sending` under a lease until `lease_expires_at` (the outbox's
 * messages, the webhook deliveries).
 */
export type LeasedQueueTable = 'messages' | 'webhook_deliveries';

/** When the queue next has work: its earliest queued row or running lease; null when nothing waits. */
export async function nextLeasedQueueWakeUp(db: Queryable, table: LeasedQueueTable): Promise<string | null> {
  const row = await db
    .selectFrom(table)
    .select((eb) => [
      eb.fn.min(eb.case().when('state', '=', 'queued').then(eb.ref('next_attempt_at')).end()).as('queued'),
      eb.fn.min(eb.case().when('state', '=', 'sending').then(eb.ref('lease_expires_at')).end()).as('sending'),
    ])
    .where('state', 'in', ['queued', 'sending'])
    .executeTakeFirst();
  const times = [row?.queued, row?.sending].filter((time): time is string => typeof time === 'string');
  return times.length === 0 ? null : (times.sort()[0] ?? null);
}

/** Whether a row is due now: a cheap probe for a periodic sweep. */
export async function hasDueLeasedQueueRows(db: Queryable, table: LeasedQueueTable, now: string): Promise<boolean> {
  const row = await db
    .selectFrom(table)
    .select('state')
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'queued'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('state', '=', 'sending'), eb('lease_expires_at', '<=', now)]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
