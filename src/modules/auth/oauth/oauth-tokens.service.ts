import type { Queryable } from '../../../db/database.js';
import { reserveIds } from '../../../db/sequences.js';
import { AppError, invalid, notFound } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { findUserStandingById } from '../../users/users.repo.js';
import { requireRole, type Principal, type Scope } from '../../accounts/principal.js';
import { issueSecretToken } from '../secret-tokens.js';
import { findClientById } from './oauth-clients.repo.js';
import {
  countLiveTokens,
  findLiveToken,
  insertToken,
  listLiveTokensPage,
  OAUTH_TOKEN_ID_SEQUENCE,
  revokeToken,
  type TokenFilter,
} from './oauth-tokens.repo.js';
import type { TokenInput } from './oauth.schema.js';
import { formatScopes, parseScopes } from './scopes.js';
import { type OauthTokenRow } from './oauth.model.js';

/** Access tokens live two hours; refresh tokens 30 days, and each is exchanged once. */
export const ACCESS_TOKEN_TTL_SECONDS = 2 * 60 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

export interface IssuedTokenPair {
  row: OauthTokenRow;
  /** Both shown once; only their hashes are kept. */
  accessToken: string;
  refreshToken: string;
}

/** Inserts a fresh access and refresh token; the caller owns the transaction and the audit. */
export async function issueTokenPair(
  tx: Queryable,
  now: Date,
  grant: { accountId: number; clientId: number; userId: number; scopes: readonly Scope[] },
): Promise<IssuedTokenPair> {
  const access = issueSecretToken();
  const refresh = issueSecretToken();
  const row: OauthTokenRow = {
    account_id: grant.accountId,
    id: await reserveIds(tx, OAUTH_TOKEN_ID_SEQUENCE, 1),
    client_id: grant.clientId,
    user_id: grant.userId,
    token_hash: access.hash,
    refresh_token_hash: refresh.hash,
    scopes: formatScopes(grant.scopes),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ACCESS_TOKEN_TTL_SECONDS * 1000).toISOString(),
    refresh_expires_at: new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000).toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await insertToken(tx, row);
  return { row, accessToken: access.raw, refreshToken: refresh.raw };
}

const actorOf = (principal: Principal) => ({ type: 'user' as const, id: principal.user.id });

/**
 * An admin creates a token for one of the account's clients and users
 * (themselves by default), with `read` or `read` and `write`.
 */
export async function createOauthToken(deps: Deps, principal: Principal, input: TokenInput): Promise<IssuedTokenPair> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const scopes = parseScopes(input.scopes);
  if (scopes === undefined)
    throw invalid('Scopes must be "read", "write" or both, each once.', { scopes: [{ description: 'must be read and/or write' }] });
  // Ajv coerces a string such as "1e400" to Infinity past the schema's bounds.
  if (!Number.isSafeInteger(input.client_id) || (input.user_id !== undefined && !Number.isSafeInteger(input.user_id))) {
    throw invalid('client_id and user_id must be ids (positive integers).');
  }
  const client = await findClientById(deps.db, accountId, input.client_id);
  if (client === undefined)
    throw invalid('No OAuth client of this account has that client_id.', {
      client_id: [{ description: 'is not a client of this account' }],
    });
  const userId = input.user_id ?? principal.user.id;
  const standing = await findUserStandingById(deps.db, accountId, userId);
  if (!mayAuthenticate(standing))
    throw invalid('No active user of this account has that user_id.', {
      user_id: [{ description: 'is not an active user of this account' }],
    });
  const { user } = standing;
  return deps.db.transaction().execute(async (tx) => {
    const issued = await issueTokenPair(tx, deps.clock.now(), { accountId, clientId: client.id, userId: user.id, scopes });
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'oauth_token.created',
      target: { type: 'oauth_token', id: issued.row.id },
      data: { via: principal.via, client_id: client.id, user_id: user.id, scopes: issued.row.scopes },
    });
    return issued;
  });
}

/** The account's unrevoked tokens, a page at a time (admins only). */
export async function listOauthTokens(deps: Deps, principal: Principal, page: PageRequest, filter: TokenFilter) {
  requireRole(principal, 'admin');
  const accountId = principal.account.id;
  const rows = await listLiveTokensPage(deps.db, accountId, pageWindow(page), filter);
  return { rows, count: () => countLiveTokens(deps.db, accountId, filter) };
}

export async function showOauthToken(deps: Deps, principal: Principal, id: number): Promise<OauthTokenRow> {
  requireRole(principal, 'admin');
  const row = await findLiveToken(deps.db, principal.account.id, id);
  if (row === undefined) throw notFound('OAuth token');
  return row;
}

async function revokeAndAudit(deps: Deps, principal: Principal, id: number, reason: string): Promise<void> {
  const accountId = principal.account.id;
  await deps.db.transaction().execute(async (tx) => {
    if (!(await revokeToken(tx, accountId, id, deps.clock.now().toISOString()))) throw notFound('OAuth token');
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'oauth_token.revoked',
      target: { type: 'oauth_token', id },
      data: { via: principal.via, reason },
    });
  });
}

/** An admin revokes one of the account's tokens; it stops working at once, refresh token included. */
export async function revokeOauthToken(deps: Deps, principal: Principal, id: number): Promise<void> {
  requireRole(principal, 'admin', 'write');
  await revokeAndAudit(deps, principal, id, 'revoked_by_admin');
}

const notAnOauthToken = (): AppError =>
  new AppError(
    'InvalidCredentialType',
    'This endpoint is about the OAuth token of the request; call it with "Authorization: Bearer TOKEN".',
  );

/** The OAuth token the request authenticated with. */
export async function showCurrentOauthToken(deps: Deps, principal: Principal): Promise<OauthTokenRow> {
  if (principal.via !== 'oauth_token' || principal.credentialId === null) throw notAnOauthToken();
  const row = await findLiveToken(deps.db, principal.account.id, principal.credentialId);
  if (row === undefined) throw notFound('OAuth token');
  return row;
}

/** Revokes the OAuth token the request authenticated with (any scope may give itself up). */
export async function revokeCurrentOauthToken(deps: Deps, principal: Principal): Promise<void> {
  if (principal.via !== 'oauth_token' || principal.credentialId === null) throw notAnOauthToken();
  await revokeAndAudit(deps, principal, principal.credentialId, 'revoked_by_holder');
}
