import type { FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import type { Account } from '../../../db/schema.js';
import { findAccountById } from '../../accounts/accounts.repo.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { type Principal } from '../../accounts/principal.js';
import { hashSecretToken } from '../secret-tokens.js';
import { findApiTokenCredentialForVerification, touchApiToken } from './api-tokens.repo.js';
import { LAST_USED_GRANULARITY_MS } from './api-tokens.service.js';
import { AppError } from '../../../errors.js';
import { tokenAttemptRecorder } from '../../../platform/sign-in-events/token-attempts.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'signInEvents'>;

/** The realm of the REST API: Support's, shared by the core products. */
const API_REALM = 'core';

const MAX_TOKEN_LENGTH = 256;

const MAX_EMAIL_LENGTH = 320;

// One answer for every failure, so a caller learns nothing about which part was wrong.
const refused = (): AppError =>
  new AppError(
    'Unauthorized',
    "Couldn't authenticate you with this API token. Check the token, that the email is an agent or admin of the token's account, and the address you call.",
  );

/**
 * The API token channel of authentication (`Basic email/token:TOKEN`). The
 * token names its account; the email names the acting user, who must be an
 * active, undeleted agent or admin there. On another account's host the token is
 * refused; where the Host names no account, the token's account is used. A
 * pending password change does not matter here (API tokens keep working
 * through a rotation). One indexed read per request; a write at most once a
 * minute per token.
 *
 * @example
 * const authenticators = { ...others, apiToken: authenticateApiToken(deps) };
 */
export function authenticateApiToken(deps: Deps) {
  return async (request: FastifyRequest, hostAccount: Account | null, email: string, token: string): Promise<Principal> => {
    const attempt = tokenAttemptRecorder(deps.signInEvents, request, 'api_token', email);
    const hostId = hostAccount === null ? undefined : Number(hostAccount.id);
    if (token === '' || token.length > MAX_TOKEN_LENGTH || email.length > MAX_EMAIL_LENGTH) {
      attempt(hostId, 'failed', 'invalid_token', null, null);
      throw refused();
    }
    const credential = await findApiTokenCredentialForVerification(deps.db, hashSecretToken(token), API_REALM, email.trim().toLowerCase());
    if (credential === undefined) {
      attempt(hostId, 'failed', 'invalid_token', null, null);
      throw refused();
    }
    const { user, tokenId } = credential;
    if (hostAccount !== null && Number(hostAccount.id) !== credential.tokenAccountId) {
      // Told to both: the host's account saw a foreign token, the token's account saw its token used elsewhere.
      attempt(hostId, 'failed', 'wrong_account', null, null);
      attempt(credential.tokenAccountId, 'failed', 'wrong_account', Number(user.id), tokenId);
      throw refused();
    }
    if (!mayAuthenticate({ user, deletedAt: credential.userDeletedAt }) || (user.role !== 'agent' && user.role !== 'admin')) {
      attempt(credential.tokenAccountId, 'failed', 'inactive_user', Number(user.id), tokenId);
      throw refused();
    }
    const account = hostAccount ?? (await findAccountById(deps.db, credential.tokenAccountId));
    if (account === undefined) throw refused();
    const now = deps.clock.now();
    const staleBefore = new Date(now.getTime() - LAST_USED_GRANULARITY_MS).toISOString();
    if (credential.tokenLastUsedAt === null || credential.tokenLastUsedAt < staleBefore) {
      await touchApiToken(deps.db, credential.tokenAccountId, tokenId, now.toISOString(), staleBefore);
    }
    attempt(credential.tokenAccountId, 'succeeded', null, Number(user.id), tokenId);
    return { account, user, via: 'api_token', scopes: new Set(['read', 'write']), credentialId: tokenId };
  };
}
