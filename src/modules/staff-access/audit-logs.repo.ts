import { sql } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { AuditEventRow } from '../../db/schema.js';

/**
 * Reads of the audit trail for people (the audit module writes and verifies
 * it). Rows come back whole, so a column added to `audit_events` later (such
 * as personal data kept outside the hash) reaches the API without a change here.
 */
export type AuditLogRow = AuditEventRow & Record<string, unknown>;

export interface AuditLogFilter {
  accountId: number;
  actions?: readonly string[];
  actorType?: string;
  sourceType?: string;
  sourceId?: string;
  /** Inclusive ISO bounds on `occurred_at`. */
  createdFrom?: string;
  createdTo?: string;
}

export interface AuditLogWindow {
  /** Keyset: events after this sequence number in `order`. */
  afterSeq: number | null;
  offset: number;
  limit: number;
  order: 'asc' | 'desc';
}

function filtered(db: Queryable, filter: AuditLogFilter) {
  let query = db.selectFrom('audit_events').where('account_id', '=', filter.accountId);
  if (filter.actions !== undefined)
    // An empty list of actions matches nothing (`in ()` is not SQL).
    query = filter.actions.length === 0 ? query.where(sql<boolean>`1 = 0`) : query.where('action', 'in', [...filter.actions]);
  if (filter.actorType !== undefined) query = query.where('actor_type', '=', filter.actorType);
  if (filter.sourceType !== undefined) query = query.where('target_type', '=', filter.sourceType);
  if (filter.sourceId !== undefined) query = query.where('target_id', '=', filter.sourceId);
  if (filter.createdFrom !== undefined) query = query.where('occurred_at', '>=', filter.createdFrom);
  if (filter.createdTo !== undefined) query = query.where('occurred_at', '<=', filter.createdTo);
  return query;
}

export async function listAuditEvents(db: Queryable, filter: AuditLogFilter, window: AuditLogWindow): Promise<AuditLogRow[]> {
  let query = filtered(db, filter).selectAll();
  if (window.afterSeq !== null) query = query.where('seq', window.order === 'asc' ? '>' : '<', window.afterSeq);
  return query.orderBy('seq', window.order).limit(window.limit).offset(window.offset).execute();
}

export async function countAuditEvents(db: Queryable, filter: AuditLogFilter): Promise<number> {
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Names of the people behind actor ids: an account's users, and the vendor's staff. */
export async function actorNames(
  db: Queryable,
  accountId: number,
  ids: { users: readonly number[]; staff: readonly number[] },
): Promise<{ users: Map<number, string>; staff: Map<number, string> }> {
  const users =
    ids.users.length === 0
      ? []
      : await db
          .selectFrom('users')
          .select(['id', 'name'])
          .where('account_id', '=', accountId)
          .where('id', 'in', [...ids.users])
          .execute();
  const staff =
    ids.staff.length === 0
      ? []
      : await db
          .selectFrom('staff_users')
          .select(['id', 'name'])
          .where('id', 'in', [...ids.staff])
          .execute();
  return {
    users: new Map(users.map((row) => [Number(row.id), row.name])),
    staff: new Map(staff.map((row) => [Number(row.id), row.name])),
  };
}
