import type { Account } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import type { Principal, Scope } from '../../accounts/principal.js';
import { issueSecretToken } from '../secret-tokens.js';
import { insertCode } from './oauth-codes.repo.js';
import { findClientByIdentifier } from './oauth-clients.repo.js';
import { isS256Challenge, type PkceMethod } from './pkce.js';
import { withQuery } from './redirect-uris.js';
import { formatScopes, parseScopes } from './scopes.js';
import { redirectUrisOf, type OauthClientRow } from './oauth.model.js';

/** Authorization codes are single-use and live ten minutes. */
export const CODE_TTL_SECONDS = 10 * 60;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

/** The parameters of an authorization request, as the client sent them. */
export interface AuthorizationParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
}

/** An authorization request that passed every check, ready for the user's decision. */
export interface AuthorizationRequest {
  client: OauthClientRow;
  redirectUri: string;
  scopes: Scope[];
  state: string | undefined;
  codeChallenge: string | null;
  codeChallengeMethod: PkceMethod | null;
}

export type CheckedAuthorization = { ok: true; request: AuthorizationRequest } | { ok: false; redirectTo: string };

/**
 * Checks an authorization request (RFC 6749 §4.1.1, RFC 7636). An unknown
 * client or an unregistered redirect URI is answered here, never redirected
 * (the URI cannot be trusted); other problems go back to the client's
 * redirect URI as `error=...` with the state.
 */
export async function checkAuthorizationRequest(deps: Deps, account: Account, params: AuthorizationParams): Promise<CheckedAuthorization> {
  const client = params.client_id === undefined ? undefined : await findClientByIdentifier(deps.db, account.id, params.client_id);
  if (client === undefined) {
    throw new AppError(
      'InvalidClient',
      'client_id names no OAuth client of this account. Check the identifier the account admin registered.',
    );
  }
  const redirectUri = params.redirect_uri;
  if (redirectUri === undefined || !redirectUrisOf(client).includes(redirectUri)) {
    throw new AppError(
      'InvalidRedirectUri',
      'redirect_uri must match, character for character, one of the redirect URIs registered for this client.',
    );
  }
  const refuse = (error: string, description: string): CheckedAuthorization => ({
    ok: false,
    redirectTo: withQuery(redirectUri, { error, error_description: description, state: params.state }),
  });
  if (params.response_type !== 'code') return refuse('unsupported_response_type', 'Only response_type=code is supported.');
  const scopes = params.scope === undefined ? undefined : parseScopes(params.scope);
  if (scopes === undefined) return refuse('invalid_scope', 'scope must be "read", "write" or "read write".');
  if (params.code_challenge === undefined) {
    if (params.code_challenge_method !== undefined)
      return refuse('invalid_request', 'code_challenge_method was sent without code_challenge.');
    if (client.kind === 'public')
      return refuse('invalid_request', 'Public clients must use PKCE: send code_challenge with code_challenge_method=S256.');
    return { ok: true, request: { client, redirectUri, scopes, state: params.state, codeChallenge: null, codeChallengeMethod: null } };
  }
  if (params.code_challenge_method !== 'S256')
    return refuse('invalid_request', 'code_challenge_method must be S256; plain is not accepted.');
  if (!isS256Challenge(params.code_challenge))
    return refuse('invalid_request', 'code_challenge must be the 43-character base64url SHA-256 of the verifier.');
  return {
    ok: true,
    request: { client, redirectUri, scopes, state: params.state, codeChallenge: params.code_challenge, codeChallengeMethod: 'S256' },
  };
}

/**
 * Applies the signed-in user's decision and returns where to send the
 * browser: the redirect URI with a fresh single-use code (audited), or with
 * `error=access_denied`.
 */
export async function decideAuthorization(
  deps: Deps,
  principal: Principal,
  request: AuthorizationRequest,
  decision: 'allow' | 'deny',
): Promise<string> {
  if (decision === 'deny') {
    return withQuery(request.redirectUri, {
      error: 'access_denied',
      error_description: 'The user denied the request.',
      state: request.state,
    });
  }
  const code = issueSecretToken();
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (tx) => {
    await insertCode(tx, {
      account_id: principal.account.id,
      code_hash: code.hash,
      client_id: request.client.id,
      user_id: principal.user.id,
      redirect_uri: request.redirectUri,
      scopes: formatScopes(request.scopes),
      code_challenge: request.codeChallenge,
      code_challenge_method: request.codeChallengeMethod,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + CODE_TTL_SECONDS * 1000).toISOString(),
      used_at: null,
    });
    await recordAudit(tx, deps, {
      accountId: principal.account.id,
      actor: { type: 'user', id: principal.user.id },
      action: 'oauth_authorization.granted',
      target: { type: 'oauth_client', id: request.client.id },
      data: { scopes: formatScopes(request.scopes), redirect_uri: request.redirectUri, pkce: request.codeChallengeMethod },
    });
  });
  return withQuery(request.redirectUri, { code: code.raw, state: request.state });
}
