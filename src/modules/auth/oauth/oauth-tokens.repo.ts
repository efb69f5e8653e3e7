import type { Queryable } from '../../../db/database.js';
import type { User } from '../../../db/schema.js';
import { type OauthTokenRow } from './oauth.model.js';

/** OAuth tokens take their ids from this sequence (`reserveIds`). */
export const OAUTH_TOKEN_ID_SEQUENCE = 'oauth_tokens';

export interface PageWindow {
  afterId: number | null;
  offset: number;
  limit: number;
}

export interface TokenFilter {
  clientId?: number;
}

export async function insertToken(db: Queryable, row: OauthTokenRow): Promise<void> {
  await db.insertInto('oauth_tokens').values(row).execute();
}

/** One page of an account's unrevoked tokens by id. */
export async function listLiveTokensPage(
  db: Queryable,
  accountId: number,
  window: PageWindow,
  filter: TokenFilter,
): Promise<OauthTokenRow[]> {
  let query = db.selectFrom('oauth_tokens').selectAll().where('account_id', '=', accountId).where('revoked_at', 'is', null);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (window.afterId !== null) query = query.where('id', '>', window.afterId);
  return query.orderBy('id').limit(window.limit).offset(window.offset).execute();
}

export async function countLiveTokens(db: Queryable, accountId: number, filter: TokenFilter): Promise<number> {
  let query = db
    .selectFrom('oauth_tokens')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  return Number((await query.executeTakeFirstOrThrow()).count);
}

/** An unrevoked token of the account. */
export async function findLiveToken(db: Queryable, accountId: number, id: number): Promise<OauthTokenRow | undefined> {
  return db
    .selectFrom('oauth_tokens')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export interface OauthTokenCredential {
  token: Pick<OauthTokenRow, 'account_id' | 'id' | 'scopes' | 'expires_at' | 'revoked_at' | 'last_used_at'>;
  user: User;
  /** When the user was deleted; null when not. */
  userDeletedAt: string | null;
}

/**
 * The token with this access-token hash, its user and the user's deletion
 * marker, in one statement (the unique index on the hash, then the users and
 * deletions primary keys). A confidential read, for authentication only.
 */
export async function findOauthTokenCredentialForVerification(db: Queryable, tokenHash: string): Promise<OauthTokenCredential | undefined> {
  const row = await db
    .selectFrom('oauth_tokens as t')
    .innerJoin('users as u', (join) => join.onRef('u.account_id', '=', 't.account_id').onRef('u.id', '=', 't.user_id'))
    .leftJoin('user_deletions as d', (join) => join.onRef('d.account_id', '=', 'u.account_id').onRef('d.user_id', '=', 'u.id'))
    .selectAll('u')
    .select([
      'd.deleted_at as user_deleted_at',
      't.account_id as token_account_id',
      't.id as token_id',
      't.scopes as token_scopes',
      't.expires_at as token_expires_at',
      't.revoked_at as token_revoked_at',
      't.last_used_at as token_last_used_at',
    ])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const { token_account_id, token_id, token_scopes, token_expires_at, token_revoked_at, token_last_used_at, user_deleted_at, ...user } =
    row;
  return {
    token: {
      account_id: Number(token_account_id),
      id: Number(token_id),
      scopes: token_scopes,
      expires_at: token_expires_at,
      revoked_at: token_revoked_at,
      last_used_at: token_last_used_at,
    },
    user,
    userDeletedAt: user_deleted_at,
  };
}

/**
 * The token a refresh token belongs to, revoked or not (a revoked one that
 * still has its refresh hash was rotated: presenting it again is reuse).
 */
export async function findTokenByRefreshHash(db: Queryable, refreshTokenHash: string): Promise<OauthTokenRow | undefined> {
  return db.selectFrom('oauth_tokens').selectAll().where('refresh_token_hash', '=', refreshTokenHash).executeTakeFirst();
}

/** Records a use unless one was recorded since `staleBefore`. */
export async function touchToken(db: Queryable, accountId: number, id: number, now: string, staleBefore: string): Promise<void> {
  await db
    .updateTable('oauth_tokens')
    .set({ last_used_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', staleBefore)]))
    .execute();
}

/**
 * Retires a token whose refresh token was just exchanged. It keeps its
 * refresh hash, so a second exchange is recognised as reuse. False when it
 * was already retired or revoked (a concurrent exchange won).
 */
export async function retireRotatedToken(db: Queryable, accountId: number, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('oauth_tokens')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Revokes one live token, access and refresh alike; false when there was none. */
export async function revokeToken(db: Queryable, accountId: number, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('oauth_tokens')
    .set({ revoked_at: now, refresh_token_hash: null })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Revokes a grant: every token of `clientId` for `userId` issued at or after
 * `issuedSince`, and forgets their refresh hashes (rotated ones too). Returns
 * how many were still live.
 */
export async function revokeGrantTokens(
  db: Queryable,
  grant: { accountId: number; clientId: number; userId: number; issuedSince: string },
  now: string,
): Promise<number> {
  const scope = db
    .updateTable('oauth_tokens')
    .where('account_id', '=', grant.accountId)
    .where('client_id', '=', grant.clientId)
    .where('user_id', '=', grant.userId)
    .where('created_at', '>=', grant.issuedSince);
  const live = await scope.set({ revoked_at: now, refresh_token_hash: null }).where('revoked_at', 'is', null).executeTakeFirst();
  await scope.set({ refresh_token_hash: null }).where('revoked_at', 'is not', null).where('refresh_token_hash', 'is not', null).execute();
  return Number(live.numUpdatedRows);
}

/** Revokes every token of a client (the client is being deleted); returns how many were live. */
export async function revokeClientTokens(db: Queryable, accountId: number, clientId: number, now: string): Promise<number> {
  const live = await db
    .updateTable('oauth_tokens')
    .set({ revoked_at: now, refresh_token_hash: null })
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await db
    .updateTable('oauth_tokens')
    .set({ refresh_token_hash: null })
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where('refresh_token_hash', 'is not', null)
    .execute();
  return Number(live.numUpdatedRows);
}

/** Erasure: a person's OAuth tokens and unused authorization codes go. */
export async function eraseOauthGrants(db: Queryable, accountId: number, userId: number): Promise<number> {
  const tokens = await db.deleteFrom('oauth_tokens').where('account_id', '=', accountId).where('user_id', '=', userId).executeTakeFirst();
  await db.deleteFrom('oauth_codes').where('account_id', '=', accountId).where('user_id', '=', userId).execute();
  return Number(tokens.numDeletedRows);
}
