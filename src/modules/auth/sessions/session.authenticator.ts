import type { FastifyRequest } from 'fastify';
import type { Account } from '../../../db/schema.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { findUserStandingById } from '../../users/users.repo.js';
import type { Principal } from '../../accounts/principal.js';
import { constantTimeEqual, hashSecretToken } from '../secret-tokens.js';
import { CSRF_HEADER, csrfTokenFor, readCookie, SESSION_COOKIE } from './session-cookie.js';
import { findLiveSessionByTokenHash, touchSession } from './sessions.repo.js';
import { SESSION_IDLE_SECONDS } from './sessions.service.js';

const TOUCH_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The session channel of authentication: a live, unexpired, recently used
 * session of an active, undeleted user of the account the Host names. Writes must carry
 * the session's CSRF token.
 */
export function sessionAuthenticator(deps: ServiceDeps) {
  return async (request: FastifyRequest, hostAccount: Account | null): Promise<Principal | null> => {
    const token = readCookie(request, SESSION_COOKIE);
    if (token === undefined || token === '' || hostAccount === null) return null;
    const now = deps.clock.now();
    const session = await findLiveSessionByTokenHash(deps.db, hashSecretToken(token), now.toISOString());
    if (session === undefined || Number(session.account_id) !== hostAccount.id) return null;
    const lastSeen = new Date(session.last_seen_at).getTime();
    if (now.getTime() - lastSeen > SESSION_IDLE_SECONDS * 1000) return null;
    const standing = await findUserStandingById(deps.db, hostAccount.id, Number(session.user_id));
    if (!mayAuthenticate(standing)) return null;
    const { user } = standing;
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !constantTimeEqual(sent, csrfTokenFor(token))) {
        // Not signed in for this request; routes that need a principal say why (requirePrincipal).
        request.csrfRejected = true;
        return null;
      }
    }
    if (now.getTime() - lastSeen > TOUCH_EVERY_MS) await touchSession(deps.db, hostAccount.id, session.id, now.toISOString());
    request.sessionToken = token;
    return { account: hostAccount, user, via: 'session', scopes: new Set(['read', 'write']), credentialId: Number(session.id) };
  };
}
