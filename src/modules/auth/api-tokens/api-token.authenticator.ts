import type { FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import type { Account } from '../../../db/schema.js';
import { findAccountById } from '../../accounts/accounts.repo.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { type Principal, type Scope } from '../../accounts/principal.js';
import { hashSecretToken } from '../secret-tokens.js';
import { findApiTokenCredentialForVerification, type ApiTokenCredential } from './api-tokens.repo.js';
import { AppError } from '../../../errors.js';
import { tokenAttemptRecorder, type TokenAttemptRecorder } from '../../../platform/sign-in-events/token-attempts.js';
import { recordApiTokenUses, VerifiedApiTokens, type VerifiedApiToken } from './verified-api-tokens.js';

type Deps = Pick<ServiceDeps, 'db' | 'signInEvents'>;

/** The realm of the REST API: Support's, shared by the core products. */
const API_REALM = 'core';

const MAX_TOKEN_LENGTH = 256;

const MAX_EMAIL_LENGTH = 320;

const API_TOKEN_SCOPES: ReadonlySet<Scope> = new Set<Scope>(['read', 'write']);

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
 * through a rotation). A token once verified is answered from this process's
 * memory, without a database read, until the identity generation moves
 * (`VerifiedApiTokens`); its last use is written with the sign-in events. A
 * refused one is decided again on the lookup kept from its refusal, for
 * `REFUSAL_MEMORY_MS`, so a deleted token sent again and again costs no read either.
 *
 * @example
 * const authenticators = { ...others, apiToken: authenticateApiToken(deps, new VerifiedApiTokens(watch)) };
 */
export function authenticateApiToken(deps: Deps, verified: VerifiedApiTokens) {
  deps.signInEvents.onFlush(recordApiTokenUses);
  const refuseForeignHost = (attempt: TokenAttemptRecorder, hostId: number, tokenAccountId: number, userId: number, tokenId: number) => {
    // Told to both: the host's account saw a foreign token, the token's account saw its token used elsewhere.
    attempt(hostId, 'failed', 'wrong_account', null, null);
    attempt(tokenAccountId, 'failed', 'wrong_account', userId, tokenId);
    return refused();
  };
  const admit = (attempt: TokenAttemptRecorder, hostAccount: Account | null, entry: VerifiedApiToken): Principal => {
    const { credential } = entry;
    const userId = Number(credential.user.id);
    if (hostAccount !== null && Number(hostAccount.id) !== credential.tokenAccountId)
      throw refuseForeignHost(attempt, Number(hostAccount.id), credential.tokenAccountId, userId, credential.tokenId);
    attempt(credential.tokenAccountId, 'succeeded', null, userId, credential.tokenId);
    return {
      account: hostAccount ?? entry.account,
      user: credential.user,
      via: 'api_token',
      scopes: API_TOKEN_SCOPES,
      credentialId: credential.tokenId,
    };
  };
  /** Why `found` may not be used on this host, its attempt recorded; undefined when it may. */
  const refusalOf = (attempt: TokenAttemptRecorder, hostAccount: Account | null, found: ApiTokenCredential | undefined) => {
    const hostId = hostAccount === null ? undefined : Number(hostAccount.id);
    if (found === undefined) {
      attempt(hostId, 'failed', 'invalid_token', null, null);
      return refused();
    }
    const { user, tokenId, tokenAccountId } = found;
    if (hostId !== undefined && hostId !== tokenAccountId)
      return refuseForeignHost(attempt, hostId, tokenAccountId, Number(user.id), tokenId);
    if (!mayAuthenticate({ user, deletedAt: found.userDeletedAt }) || (user.role !== 'agent' && user.role !== 'admin')) {
      attempt(tokenAccountId, 'failed', 'inactive_user', Number(user.id), tokenId);
      return refused();
    }
    return undefined;
  };
  /**
   * The database's answer for a token this process has not verified yet (or
   * not since the last identity change), or the one it refused lately, decided again.
   */
  const verify = async (attempt: TokenAttemptRecorder, hostAccount: Account | null, tokenHash: string, email: string, key: string) => {
    const generation = verified.generation;
    const kept = verified.refusedLookup(key);
    const found = kept === undefined ? await findApiTokenCredentialForVerification(deps.db, tokenHash, API_REALM, email) : kept.found;
    const refusal = refusalOf(attempt, hostAccount, found);
    if (refusal !== undefined || found === undefined) {
      if (kept === undefined) verified.rememberRefused(key, { found }, generation);
      throw refusal ?? refused();
    }
    const account = await findAccountById(deps.db, found.tokenAccountId);
    if (account === undefined) throw refused();
    const entry = { credential: found, account };
    verified.remember(key, entry, generation);
    return admit(attempt, hostAccount, entry);
  };
  // Not async: a token already verified, nearly every API call, is answered without a promise.
  return (request: FastifyRequest, hostAccount: Account | null, email: string, token: string): Principal | Promise<Principal> => {
    const attempt = tokenAttemptRecorder(deps.signInEvents, request, 'api_token', email);
    if (token === '' || token.length > MAX_TOKEN_LENGTH || email.length > MAX_EMAIL_LENGTH) {
      attempt(hostAccount === null ? undefined : Number(hostAccount.id), 'failed', 'invalid_token', null, null);
      throw refused();
    }
    const tokenHash = hashSecretToken(token);
    const normalizedEmail = email.trim().toLowerCase();
    const key = VerifiedApiTokens.key(tokenHash, normalizedEmail);
    const entry = verified.get(key);
    return entry === undefined ? verify(attempt, hostAccount, tokenHash, normalizedEmail, key) : admit(attempt, hostAccount, entry);
  };
}
