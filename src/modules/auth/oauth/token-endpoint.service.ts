import type { Account } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { findUserStandingById } from '../../users/users.repo.js';
import type { Scope } from '../../accounts/principal.js';
import { constantTimeEqual, hashSecretToken } from '../secret-tokens.js';
import { consumeCode, findCodeForRedemption } from './oauth-codes.repo.js';
import { findClientByIdentifier } from './oauth-clients.repo.js';
import { findTokenByRefreshHash, retireRotatedToken, revokeGrantTokens } from './oauth-tokens.repo.js';
import { ACCESS_TOKEN_TTL_SECONDS, issueTokenPair, REFRESH_TOKEN_TTL_SECONDS, type IssuedTokenPair } from './oauth-tokens.service.js';
import { isCodeVerifier, verifyPkce } from './pkce.js';
import { formatScopes, parseScopes, storedScopes } from './scopes.js';
import { redirectUrisOf, type OauthClientRow, type OauthCodeRow, type OauthTokenRow } from './oauth.model.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope';

/**
 * An error of the token endpoint, answered in RFC 6749's shape
 * (`{"error": "invalid_grant", "error_description": "..."}`) by its route.
 * It is an AppError so that, should it escape, the one error handler still
 * answers with its status and code.
 */
export class OAuthProtocolError extends AppError {
  constructor(code: OAuthErrorCode, description: string) {
    super(code, description);
    this.name = 'OAuthProtocolError';
  }
}

/** The token request's parameters (form or JSON), as sent. */
export interface TokenRequestParams {
  grant_type?: string;
  code?: string;
  redirect_uri?: string;
  code_verifier?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
  scope?: string;
}

/** Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1). */
export interface BasicClientCredentials {
  clientId: string;
  secret: string;
}

/** RFC 6749 §5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
  scope: string;
}

const invalidGrant = (): OAuthProtocolError =>
  new OAuthProtocolError(
    'invalid_grant',
    'The code or refresh token is invalid, expired, already used or revoked, or was issued to another client.',
  );

/**
 * Reads `Authorization: Basic base64(urlencode(id):urlencode(secret))`.
 *
 * @example
 * readBasicClientCredentials('Basic ' + btoa('my-app:s3cret')) // { clientId: 'my-app', secret: 's3cret' }
 */
export function readBasicClientCredentials(header: string): BasicClientCredentials {
  const malformed = new OAuthProtocolError(
    'invalid_client',
    'Authenticate the client with "Authorization: Basic base64(client_id:client_secret)" or client_secret in the body.',
  );
  const match = /^basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
  if (match?.[1] === undefined) throw malformed;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw malformed;
  try {
    const decode = (part: string): string => decodeURIComponent(part.replaceAll('+', ' '));
    return { clientId: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw malformed;
  }
}

/**
 * Authenticates the client in `accountId`: confidential clients by secret
 * (Basic or body, not both), public ones by identifier alone.
 */
async function authenticateClient(
  deps: Deps,
  accountId: number,
  params: TokenRequestParams,
  basic: BasicClientCredentials | null,
): Promise<OauthClientRow> {
  if (basic !== null && params.client_secret !== undefined) {
    throw new OAuthProtocolError(
      'invalid_request',
      'Send the client secret one way only: Basic authentication or client_secret, not both.',
    );
  }
  if (basic !== null && params.client_id !== undefined && params.client_id !== basic.clientId) {
    throw new OAuthProtocolError('invalid_request', 'client_id differs from the client of the Basic credentials.');
  }
  const identifier = basic?.clientId ?? params.client_id;
  const secret = basic?.secret ?? params.client_secret;
  const refused = new OAuthProtocolError(
    'invalid_client',
    'Client authentication failed: check client_id and, for confidential clients, client_secret.',
  );
  if (identifier === undefined) throw refused;
  const client = await findClientByIdentifier(deps.db, accountId, identifier);
  if (client === undefined) throw refused;
  if (client.kind === 'confidential') {
    if (secret === undefined || client.secret_hash === null || !constantTimeEqual(hashSecretToken(secret), client.secret_hash))
      throw refused;
  } else if (secret !== undefined && secret !== '') {
    throw new OAuthProtocolError('invalid_client', 'This client is public and has no secret; use PKCE instead.');
  }
  return client;
}

function tokenResponse(issued: IssuedTokenPair): TokenResponse {
  return {
    access_token: issued.accessToken,
    token_type: 'bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: issued.refreshToken,
    refresh_token_expires_in: REFRESH_TOKEN_TTL_SECONDS,
    scope: issued.row.scopes,
  };
}

/**
 * A code presented again: refuse, and revoke what it yielded (RFC 6749
 * §4.1.2) — every token of that client for that user issued since the code
 * was first redeemed, which takes in the refresh rotations that followed.
 */
async function answerCodeReplay(deps: Deps, code: OauthCodeRow): Promise<never> {
  const accountId = Number(code.account_id);
  await deps.db.transaction().execute(async (tx) => {
    const revoked = await revokeGrantTokens(
      tx,
      { accountId, clientId: Number(code.client_id), userId: Number(code.user_id), issuedSince: code.used_at ?? code.created_at },
      deps.clock.now().toISOString(),
    );
    await recordAudit(tx, deps, {
      accountId,
      actor: { type: 'system' },
      action: 'oauth_code.replayed',
      target: { type: 'oauth_client', id: Number(code.client_id) },
      data: { user_id: Number(code.user_id), tokens_revoked: revoked },
    });
  });
  throw invalidGrant();
}

async function exchangeAuthorizationCode(
  deps: Deps,
  hostAccount: Account | null,
  params: TokenRequestParams,
  basic: BasicClientCredentials | null,
): Promise<TokenResponse> {
  if (hostAccount === null) {
    throw new OAuthProtocolError(
      'invalid_request',
      "Call the token endpoint at the account's address ({subdomain}.{base domain}) that authorized the code.",
    );
  }
  if (params.code === undefined || params.redirect_uri === undefined) {
    throw new OAuthProtocolError('invalid_request', 'grant_type=authorization_code needs code and redirect_uri.');
  }
  const client = await authenticateClient(deps, hostAccount.id, params, basic);
  const codeHash = hashSecretToken(params.code);
  const code = await findCodeForRedemption(deps.db, hostAccount.id, codeHash);
  if (code === undefined || Number(code.client_id) !== client.id) throw invalidGrant();
  if (code.used_at !== null) return answerCodeReplay(deps, code);
  const now = deps.clock.now();
  if (code.expires_at <= now.toISOString()) throw invalidGrant();
  if (params.redirect_uri !== code.redirect_uri || !redirectUrisOf(client).includes(code.redirect_uri)) throw invalidGrant();
  if (code.code_challenge === null) {
    // A verifier with no challenge means someone stripped PKCE from the request (RFC 9700 §2.1.1).
    if (params.code_verifier !== undefined) throw invalidGrant();
  } else if (
    params.code_verifier === undefined ||
    !isCodeVerifier(params.code_verifier) ||
    !verifyPkce(params.code_verifier, code.code_challenge)
  ) {
    throw invalidGrant();
  }
  const standing = await findUserStandingById(deps.db, hostAccount.id, Number(code.user_id));
  if (!mayAuthenticate(standing)) throw invalidGrant();
  const { user } = standing;
  const issued = await deps.db.transaction().execute(async (tx) => {
    if (!(await consumeCode(tx, hostAccount.id, codeHash, now.toISOString()))) return undefined;
    const pair = await issueTokenPair(tx, now, {
      accountId: hostAccount.id,
      clientId: client.id,
      userId: user.id,
      scopes: storedScopes(code.scopes),
    });
    await recordAudit(tx, deps, {
      accountId: hostAccount.id,
      actor: { type: 'user', id: user.id },
      action: 'oauth_token.created',
      target: { type: 'oauth_token', id: pair.row.id },
      data: { grant: 'authorization_code', client_id: client.id, user_id: user.id, scopes: pair.row.scopes },
    });
    return pair;
  });
  if (issued === undefined) {
    // Another request redeemed the code between our read and our write.
    const raced = await findCodeForRedemption(deps.db, hostAccount.id, codeHash);
    if (raced === undefined) throw invalidGrant();
    return answerCodeReplay(deps, raced);
  }
  return tokenResponse(issued);
}

/**
 * A refresh token presented after it was exchanged: someone holds a copy.
 * Refuse, and revoke the token family — the client's tokens for that user
 * issued since the reused one (its successors included).
 */
async function answerRefreshReuse(deps: Deps, row: OauthTokenRow): Promise<never> {
  const accountId = Number(row.account_id);
  await deps.db.transaction().execute(async (tx) => {
    const revoked = await revokeGrantTokens(
      tx,
      { accountId, clientId: Number(row.client_id), userId: Number(row.user_id), issuedSince: row.created_at },
      deps.clock.now().toISOString(),
    );
    await recordAudit(tx, deps, {
      accountId,
      actor: { type: 'system' },
      action: 'oauth_token.refresh_reused',
      target: { type: 'oauth_token', id: Number(row.id) },
      data: { client_id: Number(row.client_id), user_id: Number(row.user_id), tokens_revoked: revoked },
    });
  });
  throw invalidGrant();
}

async function refreshAccessToken(
  deps: Deps,
  hostAccount: Account | null,
  params: TokenRequestParams,
  basic: BasicClientCredentials | null,
): Promise<TokenResponse> {
  if (params.refresh_token === undefined) throw new OAuthProtocolError('invalid_request', 'grant_type=refresh_token needs refresh_token.');
  const row = await findTokenByRefreshHash(deps.db, hashSecretToken(params.refresh_token));
  const accountId = row === undefined ? undefined : Number(row.account_id);
  if (row === undefined || accountId === undefined || (hostAccount !== null && hostAccount.id !== accountId)) throw invalidGrant();
  const client = await authenticateClient(deps, accountId, params, basic);
  if (client.id !== Number(row.client_id)) throw invalidGrant();
  if (row.revoked_at !== null) return answerRefreshReuse(deps, row);
  const now = deps.clock.now();
  if (row.refresh_expires_at !== null && row.refresh_expires_at <= now.toISOString()) throw invalidGrant();
  let scopes: Scope[] = storedScopes(row.scopes);
  if (params.scope !== undefined) {
    const asked = parseScopes(params.scope);
    if (asked === undefined || !asked.every((scope) => scopes.includes(scope))) {
      throw new OAuthProtocolError('invalid_scope', `scope may only narrow the original grant ("${row.scopes}").`);
    }
    scopes = asked;
  }
  const standing = await findUserStandingById(deps.db, accountId, Number(row.user_id));
  if (!mayAuthenticate(standing)) throw invalidGrant();
  const { user } = standing;
  const issued = await deps.db.transaction().execute(async (tx) => {
    if (!(await retireRotatedToken(tx, accountId, Number(row.id), now.toISOString()))) return undefined;
    const pair = await issueTokenPair(tx, now, { accountId, clientId: client.id, userId: user.id, scopes });
    await recordAudit(tx, deps, {
      accountId,
      actor: { type: 'oauth_token', id: Number(row.id) },
      action: 'oauth_token.refreshed',
      target: { type: 'oauth_token', id: pair.row.id },
      data: { client_id: client.id, user_id: user.id, scopes: formatScopes(scopes), replaces: Number(row.id) },
    });
    return pair;
  });
  // Another request exchanged the same refresh token first: that is reuse too.
  if (issued === undefined) return answerRefreshReuse(deps, row);
  return tokenResponse(issued);
}

/**
 * The token endpoint (RFC 6749 §3.2): `authorization_code` (single use, with
 * PKCE and exact redirect URI) and `refresh_token` (rotated on every use;
 * reuse revokes the family). Throws {@link OAuthProtocolError}.
 */
export async function grantTokens(
  deps: Deps,
  input: { hostAccount: Account | null; params: TokenRequestParams; basic: BasicClientCredentials | null },
): Promise<TokenResponse> {
  switch (input.params.grant_type) {
    case 'authorization_code':
      return exchangeAuthorizationCode(deps, input.hostAccount, input.params, input.basic);
    case 'refresh_token':
      return refreshAccessToken(deps, input.hostAccount, input.params, input.basic);
    case undefined:
      throw new OAuthProtocolError('invalid_request', 'grant_type is required.');
    default:
      throw new OAuthProtocolError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token.');
  }
}
