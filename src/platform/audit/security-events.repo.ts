import type { Selectable } from 'kysely';
import { chunks } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { SecurityEventsTable } from '../../db/schema.js';

export type SecurityEventRow = Selectable<SecurityEventsTable>;

/** Rows a multi-row insert carries: 7 parameters an event stays far below both backends' limits. */
const ROWS_PER_STATEMENT = 1_000;

/** Adds security events, in the transaction of the audit events they announce. */
export async function insertSecurityEvents(db: Queryable, events: readonly SecurityEventsTable[]): Promise<void> {
  for (const chunk of chunks(events, ROWS_PER_STATEMENT)) await db.insertInto('security_events').values(chunk).execute();
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
