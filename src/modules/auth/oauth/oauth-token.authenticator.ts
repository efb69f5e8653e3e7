import type { FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import type { Account } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { tokenAttemptRecorder } from '../../../platform/sign-in-events/token-attempts.js';
import { findAccountById } from '../../accounts/accounts.repo.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { type Principal } from '../../accounts/principal.js';
import { hashSecretToken } from '../secret-tokens.js';
import { findOauthTokenCredentialForVerification, touchToken } from './oauth-tokens.repo.js';
import { storedScopes } from './scopes.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'signInEvents'>;

/** `last_used_at` is kept to the minute, so most requests write nothing. */
const LAST_USED_GRANULARITY_MS = 60_000;

const MAX_TOKEN_LENGTH = 256;

// One answer for every failure, so a caller learns nothing about which part was wrong.

const refused = (): AppError =>
  new AppError(
    'Unauthorized',
    "Couldn't authenticate you with this OAuth token: it is unknown, expired or revoked, or belongs to another account. Refresh it or ask for a new one.",
  );

/**
 * The Bearer channel of authentication. The token names its account; on
 * another account's host it is refused, and where the Host names no account
 * the token's account is used. Expired and revoked tokens and inactive or
 * deleted users are refused; a pending password change does not matter (OAuth keeps
 * working through a rotation). One indexed read per request; a write at most
 * once a minute per token.
 *
 * @example
 * const authenticators = { ...others, oauthToken: authenticateOauthToken(deps) };
 */
export function authenticateOauthToken(deps: Deps) {
  return async (request: FastifyRequest, hostAccount: Account | null, token: string): Promise<Principal> => {
    const attempt = tokenAttemptRecorder(deps.signInEvents, request, 'oauth_token');
    const hostId = hostAccount === null ? undefined : Number(hostAccount.id);
    const credential =
      token.length > MAX_TOKEN_LENGTH ? undefined : await findOauthTokenCredentialForVerification(deps.db, hashSecretToken(token));
    if (credential === undefined) {
      attempt(hostId, 'failed', 'invalid_token', null, null);
      throw refused();
    }
    const { token: row, user } = credential;
    const tokenAccountId = Number(row.account_id);
    const tokenId = Number(row.id);
    const userId = Number(user.id);
    if (hostAccount !== null && Number(hostAccount.id) !== tokenAccountId) {
      attempt(hostId, 'failed', 'wrong_account', null, null);
      attempt(tokenAccountId, 'failed', 'wrong_account', userId, tokenId);
      throw refused();
    }
    const now = deps.clock.now();
    const nowText = now.toISOString();
    const reason =
      row.revoked_at !== null
        ? 'revoked_token'
        : row.expires_at !== null && row.expires_at <= nowText
          ? 'expired_token'
          : !mayAuthenticate({ user, deletedAt: credential.userDeletedAt })
            ? 'inactive_user'
            : null;
    if (reason !== null) {
      attempt(tokenAccountId, 'failed', reason, userId, tokenId);
      throw refused();
    }
    const account = hostAccount ?? (await findAccountById(deps.db, row.account_id));
    if (account === undefined) throw refused();
    const staleBefore = new Date(now.getTime() - LAST_USED_GRANULARITY_MS).toISOString();
    if (row.last_used_at === null || row.last_used_at < staleBefore)
      await touchToken(deps.db, row.account_id, row.id, nowText, staleBefore);
    attempt(tokenAccountId, 'succeeded', null, userId, tokenId);
    return { account, user, via: 'oauth_token', scopes: new Set(storedScopes(row.scopes)), credentialId: row.id };
  };
}
