import type { Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { MessagesTable } from '../../db/schema.js';

export type MessageRow = Selectable<MessagesTable>;

/** Inserts a message unless one with the same idempotency key exists; true when inserted. */
export async function insertMessageOnce(db: Queryable, message: MessageRow): Promise<boolean> {
  const result = await db
    .insertInto('messages')
    .values(message)
    .onConflict((oc) => oc.columns(['account_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function listMessages(db: Queryable, accountId: number, purpose?: string): Promise<MessageRow[]> {
  let query = db.selectFrom('messages').selectAll().where('account_id', '=', accountId);
  if (purpose !== undefined) query = query.where('purpose', '=', purpose);
  return query.orderBy('id').execute();
}
