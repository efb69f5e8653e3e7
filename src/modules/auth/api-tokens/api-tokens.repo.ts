import type { Queryable } from '../../../db/database.js';
import type { User } from '../../../db/schema.js';
import type { ApiTokenRow } from './api-tokens.schema.js';

/** API tokens take their ids from this sequence (`reserveIds`). */
export const API_TOKEN_ID_SEQUENCE = 'api_tokens';

export interface PageWindow {
  afterId: number | null;
  offset: number;
  limit: number;
}

export async function insertApiToken(db: Queryable, row: ApiTokenRow): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

/** One page of an account's tokens by id: after a cursor, or at an offset. */
export async function listApiTokensPage(db: Queryable, accountId: number, window: PageWindow): Promise<ApiTokenRow[]> {
  let query = db.selectFrom('api_tokens').selectAll().where('account_id', '=', accountId);
  if (window.afterId !== null) query = query.where('id', '>', window.afterId);
  return query.orderBy('id').limit(window.limit).offset(window.offset).execute();
}

export async function countApiTokens(db: Queryable, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function findApiToken(db: Queryable, accountId: number, id: number): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** Deletes one of an account's tokens; returns whether it existed. */
export async function deleteApiToken(db: Queryable, accountId: number, id: number): Promise<boolean> {
  const result = await db.deleteFrom('api_tokens').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface ApiTokenCredential {
  tokenAccountId: number;
  tokenId: number;
  tokenLastUsedAt: string | null;
  user: User;
  /** When the user was deleted; null when not. */
  userDeletedAt: string | null;
}

/**
 * The token with this hash and the user of its account with this email and
 * realm, with the user's deletion marker, in one statement: the unique index
 * on the hash, then the unique index on (account, realm, email), then the
 * deletions' primary key. A confidential read, for authentication only.
 * Undefined when the token or the user is missing.
 */
export async function findApiTokenCredentialForVerification(
  db: Queryable,
  tokenHash: string,
  realm: string,
  email: string,
): Promise<ApiTokenCredential | undefined> {
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', (join) => join.onRef('u.account_id', '=', 't.account_id').on('u.realm', '=', realm).on('u.email', '=', email))
    .leftJoin('user_deletions as d', (join) => join.onRef('d.account_id', '=', 'u.account_id').onRef('d.user_id', '=', 'u.id'))
    .selectAll('u')
    .select([
      't.account_id as token_account_id',
      't.id as token_id',
      't.last_used_at as token_last_used_at',
      'd.deleted_at as user_deleted_at',
    ])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const { token_account_id, token_id, token_last_used_at, user_deleted_at, ...user } = row;
  return {
    tokenAccountId: Number(token_account_id),
    tokenId: Number(token_id),
    tokenLastUsedAt: token_last_used_at,
    user,
    userDeletedAt: user_deleted_at,
  };
}

/**
 * Records a use, unless one was recorded since `staleBefore`: the condition
 * keeps concurrent requests from writing the same minute twice.
 */
export async function touchApiToken(db: Queryable, accountId: number, id: number, now: string, staleBefore: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', staleBefore)]))
    .execute();
}

/** Erasure: the account's API tokens stay (they are the account's), no longer naming who created them. */
export async function forgetApiTokenCreator(db: Queryable, accountId: number, userId: number): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ created_by: null })
    .where('account_id', '=', accountId)
    .where('created_by', '=', userId)
    .execute();
}

/** The account's tokens created before `cutoff` (every stored token is active: revoking deletes it), oldest first. */
export async function listApiTokensCreatedBefore(db: Queryable, accountId: number, cutoff: string): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('created_at', '<', cutoff)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
