import type { FastifyRequest } from 'fastify';
import type { Account } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { verifyPasswordSignIn } from './passwords/passwords.service.js';
import type { Principal } from './principal.js';
import { invalidCredentials } from './sessions/sign-in.service.js';

/** The realm of the REST API: Support's, shared by the core products. */
const API_REALM = 'core';

/**
 * `Authorization: Basic email:password` on the API. Needs the account's host
 * (a password names no account by itself) and the account's consent to
 * password access. A pending forced change refuses with a description of how
 * to make it; tokens keep working meanwhile.
 */
export function passwordAuthenticator(deps: ServiceDeps) {
  return async (request: FastifyRequest, hostAccount: Account | null, email: string, password: string): Promise<Principal> => {
    if (hostAccount === null) {
      throw new AppError(
        'Unauthorized',
        401,
        "Password authentication needs your account's address ({subdomain}.{base domain}); or use an API token or OAuth token.",
      );
    }
    if (hostAccount.password_api_access !== 1) {
      throw new AppError(
        'PasswordAccessDisabled',
        401,
        'This account has turned off password access to the API. Use an API token (email/token:TOKEN) or an OAuth token.',
      );
    }
    const verification = await verifyPasswordSignIn(deps, {
      account: hostAccount,
      realm: API_REALM,
      email,
      password,
      clientIp: request.ip,
    });
    if (verification.outcome === 'refused') throw invalidCredentials();
    if (verification.outcome === 'must_change') {
      throw new AppError(
        'PasswordChangeRequired',
        401,
        `A new password is required before this password can be used. Sign in at ${request.publicOrigin}/access/sign_in to choose one (or POST /access/sign_in, then /access/password_change). API tokens and OAuth tokens keep working meanwhile.`,
      );
    }
    return { account: hostAccount, user: verification.user, via: 'password', scopes: new Set(['read', 'write']), credentialId: null };
  };
}
