import type { Queryable } from '../../db/database.js';
import type { AuditEventRow } from '../../db/schema.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Takes the next sequence number of an account's chain and returns it with
 * the hash it must link to. The UPDATE row-locks the head on PostgreSQL (and
 * SQLite has one writer), so concurrent appends to one account serialise.
 */
export async function advanceHead(db: Queryable, accountId: number, count: number): Promise<{ firstSeq: number; prevHash: string }> {
  await db
    .insertInto('audit_heads')
    .values({ account_id: accountId, seq: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
  const head = await db
    .updateTable('audit_heads')
    .set((eb) => ({ seq: eb('seq', '+', count) }))
    .where('account_id', '=', accountId)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  return { firstSeq: Number(head.seq) - count + 1, prevHash: head.hash };
}

export async function insertEvents(db: Queryable, events: AuditEventRow[], headHash: string): Promise<void> {
  const first = events[0];
  if (first === undefined) return;
  await db.insertInto('audit_events').values(events).execute();
  await db.updateTable('audit_heads').set({ hash: headHash }).where('account_id', '=', first.account_id).execute();
}

export async function readChainPage(db: Queryable, accountId: number, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export async function readHead(db: Queryable, accountId: number): Promise<{ seq: number; hash: string } | undefined> {
  const head = await db.selectFrom('audit_heads').select(['seq', 'hash']).where('account_id', '=', accountId).executeTakeFirst();
  return head === undefined ? undefined : { seq: Number(head.seq), hash: head.hash };
}

/** Every account that has a chain (heads or events), ascending. */
export async function chainedAccountIds(db: Queryable): Promise<number[]> {
  const heads = await db.selectFrom('audit_heads').select('account_id').execute();
  const events = await db.selectFrom('audit_events').select('account_id').distinct().execute();
  return [...new Set([...heads, ...events].map((r) => Number(r.account_id)))].sort((a, b) => a - b);
}
