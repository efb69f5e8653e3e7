import { bulkWriteTargetOf, chunks, insertRows } from '../../db/bulk-insert.js';
import { locksRows, type Queryable } from '../../db/database.js';
import type { AuditEventRow } from '../../db/schema.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Accounts one statement carries when taking or moving heads: far below both backends' parameter limits. */
const ROWS_PER_STATEMENT = 1_000;

export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Takes the heads of these accounts' chains (creating those missing at the
 * genesis hash) and returns where each stands, keyed by account. On
 * PostgreSQL the heads are row-locked in account order, so concurrent
 * appends to one account serialise and two writers of many accounts cannot
 * deadlock; the lock holds until the transaction ends.
 */
export async function takeHeads(db: Queryable, accountIds: readonly number[]): Promise<Map<number, ChainHead>> {
  const heads = new Map<number, ChainHead>();
  const ordered = [...new Set(accountIds)].sort((a, b) => a - b);
  for (const chunk of chunks(ordered, ROWS_PER_STATEMENT)) {
    await db
      .insertInto('audit_heads')
      .values(chunk.map((accountId) => ({ account_id: accountId, seq: 0, hash: GENESIS_HASH })))
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
    const rows = await db
      .selectFrom('audit_heads')
      .select(['account_id', 'seq', 'hash'])
      .where('account_id', 'in', chunk)
      .orderBy('account_id')
      .$if(locksRows(db), (query) => query.forUpdate())
      .execute();
    for (const row of rows) heads.set(Number(row.account_id), { seq: Number(row.seq), hash: row.hash });
  }
  return heads;
}

const AUDIT_EVENT_COLUMNS: ReadonlyArray<keyof AuditEventRow> = [
  'account_id',
  'seq',
  'occurred_at',
  'actor_type',
  'actor_id',
  'action',
  'target_type',
  'target_id',
  'data',
  'prev_hash',
  'hash',
  'subject_user_id',
  'personal_data',
  'personal_salt',
  'personal_digest',
  'hash_key_version',
];

/** Writes events, then moves each account's head (taken with `takeHeads`) to its last event. */
export async function appendEvents(
  db: Queryable,
  events: readonly AuditEventRow[],
  heads: ReadonlyArray<ChainHead & { account_id: number }>,
): Promise<void> {
  await insertRows(bulkWriteTargetOf(db), 'audit_events', AUDIT_EVENT_COLUMNS, events);
  for (const chunk of chunks(heads, ROWS_PER_STATEMENT)) {
    await db
      .insertInto('audit_heads')
      .values(chunk.map((head) => ({ account_id: head.account_id, seq: head.seq, hash: head.hash })))
      .onConflict((oc) => oc.column('account_id').doUpdateSet((eb) => ({ seq: eb.ref('excluded.seq'), hash: eb.ref('excluded.hash') })))
      .execute();
  }
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

/** Where verification of a purged chain starts: the last purged event's seq and hash. */
export async function readCheckpoint(db: Queryable, accountId: number): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db.selectFrom('audit_checkpoints').select(['seq', 'hash']).where('account_id', '=', accountId).executeTakeFirst();
  return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash };
}

/** Every account that has a chain (heads or events), ascending. */
export async function chainedAccountIds(db: Queryable): Promise<number[]> {
  const heads = await db.selectFrom('audit_heads').select('account_id').execute();
  const events = await db.selectFrom('audit_events').select('account_id').distinct().execute();
  return [...new Set([...heads, ...events].map((r) => Number(r.account_id)))].sort((a, b) => a - b);
}

/** Removes the personal data of one user's events; the digests the chain covers stay. Returns the events changed. */
export async function erasePersonalData(db: Queryable, accountId: number, userId: number): Promise<number> {
  const result = await db
    .updateTable('audit_events')
    .set({ personal_data: null, personal_salt: null })
    .where('account_id', '=', accountId)
    .where('subject_user_id', '=', userId)
    .where('personal_data', 'is not', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Accounts with at least one event that occurred before `cutoff`. */
export async function accountsWithEventsBefore(db: Queryable, cutoff: string): Promise<number[]> {
  const rows = await db.selectFrom('audit_events').select('account_id').distinct().where('occurred_at', '<', cutoff).execute();
  return rows.map((row) => Number(row.account_id)).sort((a, b) => a - b);
}

/**
 * The last event of an account's chain that may go: the one before the
 * first event at or after `cutoff` (or the last event, when all are older).
 * Only a prefix is ever purged, so what remains still links up. Walks the
 * primary key in chain order, so it reads about as many rows as will go.
 */
export async function lastPurgeableSeq(db: Queryable, accountId: number, cutoff: string): Promise<number | undefined> {
  const firstKept = await db
    .selectFrom('audit_events')
    .select('seq')
    .where('account_id', '=', accountId)
    .where('occurred_at', '>=', cutoff)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  const bound = await db
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (bound?.first === null || bound?.first === undefined || bound.last === null) return undefined;
  const last = firstKept === undefined ? Number(bound.last) : Number(firstKept.seq) - 1;
  return last >= Number(bound.first) ? last : undefined;
}

/** The next batch to purge: from the chain's current start through at most `limit` events, never past `lastSeq`. */
export async function nextPurgeBatch(db: Queryable, accountId: number, lastSeq: number, limit: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('audit_events')
    .select('seq')
    .where('account_id', '=', accountId)
    .where('seq', '<=', lastSeq)
    .orderBy('seq')
    .limit(1)
    .offset(limit - 1)
    .executeTakeFirst();
  if (row !== undefined) return Number(row.seq);
  const tail = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('account_id', '=', accountId)
    .where('seq', '<=', lastSeq)
    .executeTakeFirst();
  return tail?.seq === null || tail?.seq === undefined ? undefined : Number(tail.seq);
}

/**
 * Deletes events up to `throughSeq` and moves the checkpoint to the last of
 * them. Returns the events deleted: 0 when a concurrent run got there first,
 * and the checkpoint never moves back.
 */
export async function purgeChainPrefix(db: Queryable, accountId: number, throughSeq: number, purgedAt: string): Promise<number> {
  const last = await db
    .selectFrom('audit_events')
    .select('hash')
    .where('account_id', '=', accountId)
    .where('seq', '=', throughSeq)
    .executeTakeFirst();
  if (last === undefined) return 0;
  const deleted = await db.deleteFrom('audit_events').where('account_id', '=', accountId).where('seq', '<=', throughSeq).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) return 0;
  await db
    .insertInto('audit_checkpoints')
    .values({ account_id: accountId, seq: throughSeq, hash: last.hash, purged_at: purgedAt })
    .onConflict((oc) =>
      oc
        .column('account_id')
        .doUpdateSet({ seq: throughSeq, hash: last.hash, purged_at: purgedAt })
        .where('audit_checkpoints.seq', '<', throughSeq),
    )
    .execute();
  return Number(deleted.numDeletedRows);
}

/** How many events of an account would be purged up to `lastSeq` (for dry runs). */
export async function countThrough(db: Queryable, accountId: number, lastSeq: number): Promise<number> {
  const row = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('account_id', '=', accountId)
    .where('seq', '<=', lastSeq)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Accounts whose newest event is not keyed: chains written before keying, not yet anchored by a keyed event. */
export async function chainsEndingUnkeyed(db: Queryable): Promise<number[]> {
  const rows = await db
    .selectFrom('audit_heads as h')
    .innerJoin('audit_events as e', (join) => join.onRef('e.account_id', '=', 'h.account_id').onRef('e.seq', '=', 'h.seq'))
    .select('h.account_id')
    .where('e.hash_key_version', 'is', null)
    .orderBy('h.account_id')
    .execute();
  return rows.map((row) => Number(row.account_id));
}

/** How many events each key version keys (null: plain hashes from before keying). */
export async function countEventsByKeyVersion(db: Queryable): Promise<{ version: number | null; events: number }[]> {
  const rows = await db
    .selectFrom('audit_events')
    .select((eb) => ['hash_key_version', eb.fn.countAll<number>().as('events')])
    .groupBy('hash_key_version')
    .orderBy('hash_key_version')
    .execute();
  return rows.map((row) => ({ version: row.hash_key_version === null ? null : Number(row.hash_key_version), events: Number(row.events) }));
}
