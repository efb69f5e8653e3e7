import { sql, type Selectable } from 'kysely';
import { chunks, rowsPerStatement } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import { hasDueLeasedQueueRows, nextLeasedQueueWakeUp } from '../../db/leased-queue.repo.js';
import type { MessagesTable } from '../../db/schema.js';

export type MessageRow = Selectable<MessagesTable>;

/** What identifies one claim of a message: a sender's writes count only while it still holds it. */
export interface MessageClaim {
  account_id: number;
  id: number;
  attempts: number;
}

/** Inserts a message unless one with the same idempotency key exists; true when inserted. */
export async function insertMessageOnce(db: Queryable, message: MessageRow): Promise<boolean> {
  const result = await db
    .insertInto('messages')
    .values(message)
    .onConflict((oc) => oc.columns(['account_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Inserts many messages, a few statements; those whose key exists are skipped. Returns how many were inserted. */
export async function insertMessagesOnce(db: Queryable, messages: readonly MessageRow[], maxParameters: number): Promise<number> {
  let inserted = 0;
  const columns = Object.keys(messages[0] ?? {}).length || 1;
  for (const slice of chunks(messages, rowsPerStatement(columns, maxParameters))) {
    const result = await db
      .insertInto('messages')
      .values(slice)
      .onConflict((oc) => oc.columns(['account_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

/** The idempotency keys among `keys` that these accounts already used, as `account_id:key`. */
export async function existingIdempotencyKeys(db: Queryable, accountIds: readonly number[], keys: readonly string[]): Promise<Set<string>> {
  if (accountIds.length === 0 || keys.length === 0) return new Set();
  const rows = await db
    .selectFrom('messages')
    .select(['account_id', 'idempotency_key'])
    .where('account_id', 'in', accountIds)
    .where('idempotency_key', 'in', keys)
    .execute();
  return new Set(rows.map((row) => `${row.account_id}:${row.idempotency_key}`));
}

export async function listMessages(db: Queryable, accountId: number, purpose?: string): Promise<MessageRow[]> {
  let query = db.selectFrom('messages').selectAll().where('account_id', '=', accountId);
  if (purpose !== undefined) query = query.where('purpose', '=', purpose);
  return query.orderBy('id').execute();
}

/**
 * Takes up to `limit` due messages for sending, in one statement: queued ones
 * whose time has come, and ones left `sending` by a sender whose lease ran
 * out (it crashed). Each gets `sending`, a lease until `leaseUntil` and one
 * more attempt. The state test is repeated on the updated row so that two
 * senders racing for a row (PostgreSQL re-checks it after the lock) never
 * both take it.
 */
export async function claimDueMessages(db: Queryable, now: string, leaseUntil: string, limit: number): Promise<MessageRow[]> {
  const due = db
    .selectFrom('messages as due')
    .select(['due.account_id', 'due.id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('due.state', '=', 'queued'), eb('due.next_attempt_at', '<=', now)]),
        eb.and([eb('due.state', '=', 'sending'), eb('due.lease_expires_at', '<=', now)]),
      ]),
    )
    .orderBy('due.next_attempt_at')
    .limit(limit);
  return db
    .updateTable('messages')
    .set({ state: 'sending', lease_expires_at: leaseUntil, attempts: sql<number>`attempts + 1` })
    .where((eb) => eb(eb.refTuple('account_id', 'id'), 'in', due.$asTuple('account_id', 'id')))
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'queued'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('state', '=', 'sending'), eb('lease_expires_at', '<=', now)]),
      ]),
    )
    .returningAll()
    .execute();
}

async function settle(
  db: Queryable,
  claim: MessageClaim,
  values: Partial<Pick<MessageRow, 'state' | 'sent_at' | 'next_attempt_at' | 'last_error' | 'last_response' | 'message_id'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('messages')
    .set({ ...values, lease_expires_at: null })
    .where('account_id', '=', claim.account_id)
    .where('id', '=', claim.id)
    .where('state', '=', 'sending')
    .where('attempts', '=', claim.attempts)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** `sent`, with the server's answer; false when the claim was lost (another sender took the message over). */
export const markMessageSent = (db: Queryable, claim: MessageClaim, sentAt: string, response: string, messageId: string) =>
  settle(db, claim, { state: 'sent', sent_at: sentAt, last_response: response, last_error: null, message_id: messageId });

/** Back to `queued` for another attempt at `nextAttemptAt`. */
export const markMessageForRetry = (db: Queryable, claim: MessageClaim, nextAttemptAt: string, error: string, response: string | null) =>
  settle(db, claim, { state: 'queued', next_attempt_at: nextAttemptAt, last_error: error, last_response: response });

/** `failed` for good, keeping why. */
export const markMessageFailed = (db: Queryable, claim: MessageClaim, error: string, response: string | null) =>
  settle(db, claim, { state: 'failed', last_error: error, last_response: response });

/**
 * Queues an incident's failed messages again, due now, with a fresh retry
 * budget: `attempts` keeps counting (a sender's claim is identified by it),
 * so the budget starts from it. Returns how many were queued.
 */
export async function requeueFailedIncidentMessages(db: Queryable, incidentId: number, now: string): Promise<number> {
  const result = await db
    .updateTable('messages')
    .set((eb) => ({ state: 'queued', next_attempt_at: now, attempts_at_requeue: eb.ref('attempts') }))
    .where('incident_id', '=', incidentId)
    .where('state', '=', 'failed')
    // Mail to an erased user keeps no address and is never sent.
    .where('idempotency_key', 'not like', 'erased:%')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** When the outbox next has work: the earliest queued message, or lease of a message being sent; null when there is none. */
export function nextOutboxWakeUp(db: Queryable): Promise<string | null> {
  return nextLeasedQueueWakeUp(db, 'messages');
}

/** Whether any message is due now (a cheap probe for the periodic sweep). */
export function hasDueMessages(db: Queryable, now: string): Promise<boolean> {
  return hasDueLeasedQueueRows(db, 'messages', now);
}

/**
 * Erasure: mail to this address keeps its state but neither recipient (now
 * `placeholder`) nor body; mail not yet sent never will be.
 */
export async function eraseMessagesTo(db: Queryable, accountId: number, email: string, placeholder: string): Promise<number> {
  const toThem = db
    .updateTable('messages')
    .where('account_id', '=', accountId)
    .where((eb) => eb(eb.fn('lower', ['recipient']), '=', email));
  await toThem.set({ state: 'failed' }).where('state', 'in', ['queued', 'sending']).execute();
  const messages = await toThem
    .set((eb) => ({
      recipient: placeholder,
      // Keys may name the recipient; the id keeps them unique.
      idempotency_key: sql<string>`${'erased:'} || ${eb.ref('id')}`,
      template_data: '{}',
      last_response: null,
      // An SMTP error may quote the address.
      last_error: null,
    }))
    .executeTakeFirst();
  await db
    .updateTable('messages')
    .set({ last_error: 'The recipient was erased.' })
    .where('account_id', '=', accountId)
    .where('recipient', '=', placeholder)
    .where('state', '=', 'failed')
    .execute();
  return Number(messages.numUpdatedRows);
}

/** Where the embedded mail transport wrote messages to this address (`written to <file>`). */
export async function mailFilesTo(db: Queryable, accountId: number, email: string): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('last_response')
    .where('account_id', '=', accountId)
    .where((eb) => eb(eb.fn('lower', ['recipient']), '=', email.toLowerCase()))
    .where('last_response', 'like', 'written to %')
    .execute();
  return rows.flatMap((row) => (row.last_response === null ? [] : [row.last_response.slice('written to '.length)]));
}

/** An empty body is what a dropped one looks like. */
export const DROPPED_BODY = '{}';

const finishedBefore = (cutoff: string) => (eb: import('kysely').ExpressionBuilder<import('../../db/schema.js').Database, 'messages'>) =>
  eb.and([
    eb('messages.state', 'in', ['sent', 'failed']),
    eb(eb.fn.coalesce('messages.sent_at', 'messages.created_at'), '<', cutoff),
    eb('messages.template_data', '<>', DROPPED_BODY),
  ]);

/** Drops the sealed body (template data) of messages sent or failed before `cutoff`; the row and its state stay. */
export async function dropMessageBodies(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .updateTable('messages')
    .set({ template_data: DROPPED_BODY })
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'id'),
        'in',
        eb
          .selectFrom('messages')
          .select(['messages.account_id', 'messages.id'])
          .where(finishedBefore(cutoff))
          .limit(limit)
          .$asTuple('account_id', 'id'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countMessageBodies(db: Queryable, cutoff: string): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll().as('n'))
    .where(finishedBefore(cutoff))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
