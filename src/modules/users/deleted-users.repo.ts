import type { Queryable } from '../../db/database.js';
import type { User } from '../../db/schema.js';

export interface DeletedUserRow extends User {
  deleted_at: string;
  erased_at: string | null;
}

const deletedUsers = (db: Queryable, accountId: number) =>
  db
    .selectFrom('users')
    .innerJoin('user_deletions as d', (join) => join.onRef('d.account_id', '=', 'users.account_id').onRef('d.user_id', '=', 'users.id'))
    .selectAll('users')
    .select(['d.deleted_at', 'd.erased_at'])
    .where('users.account_id', '=', accountId);

/** A soft-deleted user of the account, erased or not. */
export async function findDeletedUser(db: Queryable, accountId: number, userId: number): Promise<DeletedUserRow | undefined> {
  return deletedUsers(db, accountId).where('users.id', '=', userId).executeTakeFirst();
}

/** Every user of the account with this address, in any realm (addresses are unique per realm). */
export async function findUsersByEmailInAnyRealm(db: Queryable, accountId: number, email: string): Promise<User[]> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('email', '=', email.toLowerCase())
    .orderBy('id')
    .execute();
}

/** The account's deleted users not yet erased, by id. */
export async function listDeletedUsersPage(
  db: Queryable,
  accountId: number,
  window: { afterId: number | null; offset: number; limit: number },
): Promise<DeletedUserRow[]> {
  let query = deletedUsers(db, accountId).where('d.erased_at', 'is', null);
  if (window.afterId !== null) query = query.where('users.id', '>', window.afterId);
  return query.orderBy('users.id').limit(window.limit).offset(window.offset).execute();
}

export async function countDeletedUsers(db: Queryable, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('user_deletions')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId)
    .where('erased_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Marks a user deleted: suspended, every session, OAuth token and code and
 * password step revoked. API tokens belong to the account (Zendesk's), so
 * they stay; a suspended user can no longer authenticate with them.
 */
export async function markUserDeleted(
  db: Queryable,
  user: Pick<User, 'account_id' | 'id'>,
  deletedBy: number | null,
  now: string,
): Promise<{ sessions: number; oauthTokens: number } | undefined> {
  const accountId = user.account_id;
  const userId = user.id;
  const marked = await db
    .insertInto('user_deletions')
    .values({ account_id: accountId, user_id: userId, deleted_at: now, deleted_by: deletedBy, erased_at: null })
    .onConflict((oc) => oc.columns(['account_id', 'user_id']).doNothing())
    .executeTakeFirst();
  // Deleted by a concurrent request: nothing more to do.
  if (Number(marked.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
  await db.updateTable('users').set({ active: 0, updated_at: now }).where('account_id', '=', accountId).where('id', '=', userId).execute();
  const sessions = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: 'user_deleted' })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const oauthTokens = await db
    .updateTable('oauth_tokens')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await db.deleteFrom('oauth_codes').where('account_id', '=', accountId).where('user_id', '=', userId).execute();
  await db.deleteFrom('password_change_steps').where('account_id', '=', accountId).where('user_id', '=', userId).execute();
  return { sessions: Number(sessions.numUpdatedRows), oauthTokens: Number(oauthTokens.numUpdatedRows) };
}
