import type { FastifyRequest } from 'fastify';
import type { Account } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { notePasswordApiUse } from './passwords/password-api-use.js';
import { verifyPasswordSignIn } from './passwords/password-sign-in.service.js';
import type { Principal } from '../accounts/principal.js';
import { invalidCredentials } from './sessions/sign-in.service.js';

/** The realm of the REST API: Support's, shared by the core products. */
const API_REALM = 'core';

/**
 * `Authorization: Basic email:password` on the API. Needs the account's host
 * (a password names no account by itself) and the account's consent to
 * password access. A pending forced change refuses with a description of how
 * to make it; tokens keep working meanwhile. So does a password whose API
 * access a rotation campaign revoked (its hash was exposed in a weak tier),
 * until the user sets a new one. A right password is recorded as
 * a use of this channel (at most once an hour per user), so that incident
 * notices can tell who must set up such integrations again after a change.
 */
export function passwordAuthenticator(deps: ServiceDeps) {
  return async (request: FastifyRequest, hostAccount: Account | null, email: string, password: string): Promise<Principal> => {
    if (hostAccount === null) {
      throw new AppError(
        'Unauthorized',
        "Password authentication needs your account's address ({subdomain}.{base domain}); or use an API token or OAuth token.",
      );
    }
    if (hostAccount.password_api_access !== 1) {
      deps.signInEvents.record({
        accountId: hostAccount.id,
        userId: null,
        channel: 'password_basic',
        outcome: 'failed',
        reason: 'access_disabled',
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        identifier: email,
      });
      throw new AppError(
        'PasswordAccessDisabled',
        'This account has turned off password access to the API. Use an API token (email/token:TOKEN) or an OAuth token.',
      );
    }
    const verification = await verifyPasswordSignIn(deps, {
      account: hostAccount,
      realm: API_REALM,
      email,
      password,
      clientIp: request.ip,
      channel: 'password_basic',
      userAgent: request.headers['user-agent'] ?? null,
    });
    if (verification.outcome === 'refused') throw invalidCredentials();
    const { user } = verification;
    await notePasswordApiUse(deps, { accountId: Number(user.account_id), userId: Number(user.id) }, verification.apiUsedAt);
    if (verification.outcome === 'must_change') {
      throw new AppError(
        'PasswordChangeRequired',
        `A new password is required before this password can be used. Sign in at ${request.publicOrigin}/access/sign_in to choose one (or POST /access/sign_in, then /access/password_change). API tokens and OAuth tokens keep working meanwhile.`,
      );
    }
    if (verification.apiRevokedAt !== null) {
      throw new AppError(
        'PasswordApiAccessRevoked',
        `This password was exposed in a security incident in a weakly protected form, so it no longer opens the API. Set a new password (sign in at ${request.publicOrigin}/access/sign_in, or ask for a reset at ${request.publicOrigin}/access/password_reset) and give the integration the new one, or better, move it to an API token (email/token:TOKEN) or OAuth, which keep working.`,
      );
    }
    return { account: hostAccount, user, via: 'password', scopes: new Set(['read', 'write']), credentialId: null };
  };
}
