import type { Selectable } from 'kysely';
import { bulkWriteTargetOf, insertRows } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { SecurityEventsTable } from '../../db/schema.js';

export type SecurityEventRow = Selectable<SecurityEventsTable>;

const SECURITY_EVENT_COLUMNS: ReadonlyArray<keyof SecurityEventsTable> = [
  'account_id',
  'audit_seq',
  'event_id',
  'type',
  'occurred_at',
  'body',
  'dispatched_at',
];

/** Adds security events, in the transaction of the audit events they announce. */
export async function insertSecurityEvents(db: Queryable, events: readonly SecurityEventsTable[]): Promise<void> {
  await insertRows(bulkWriteTargetOf(db), 'security_events', SECURITY_EVENT_COLUMNS, events);
}

/** The oldest events not yet dispatched, at most `limit`. */
export function pendingSecurityEvents(db: Queryable, limit: number): Promise<SecurityEventRow[]> {
  return db
    .selectFrom('security_events')
    .selectAll()
    .where('dispatched_at', 'is', null)
    .orderBy('occurred_at')
    .orderBy('account_id')
    .orderBy('audit_seq')
    .limit(limit)
    .execute();
}

/** Marks events dispatched; only those still pending, so a second dispatcher's mark changes nothing. */
export async function markSecurityEventsDispatched(
  db: Queryable,
  events: readonly Pick<SecurityEventRow, 'event_id'>[],
  at: string,
): Promise<number> {
  if (events.length === 0) return 0;
  const result = await db
    .updateTable('security_events')
    .set({ dispatched_at: at })
    .where(
      'event_id',
      'in',
      events.map((event) => event.event_id),
    )
    .where('dispatched_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The bodies of events by id (a delivery sends its event's body). */
export async function securityEventBodies(db: Queryable, eventIds: readonly string[]): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('security_events')
    .select(['event_id', 'body'])
    .where('event_id', 'in', [...eventIds])
    .execute();
  return new Map(rows.map((row) => [row.event_id, row.body]));
}

/** Whether any event waits for dispatch (the sweep's cheap probe). */
export async function hasPendingSecurityEvents(db: Queryable): Promise<boolean> {
  const row = await db.selectFrom('security_events').select('event_id').where('dispatched_at', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}
