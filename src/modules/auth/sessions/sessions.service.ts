import type { FastifyRequest } from 'fastify';
import { reserveIds } from '../../../db/sequences.js';
import type { Account, User } from '../../../db/schema.js';
import { notFound } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { findUserStandingById } from '../../users/users.repo.js';
import type { Principal } from '../principal.js';
import { constantTimeEqual, hashSecretToken, issueSecretToken } from '../secret-tokens.js';
import { CSRF_HEADER, csrfTokenFor, readCookie, SESSION_COOKIE } from './session-cookie.js';
import {
  findLiveSessionByTokenHash,
  insertSession,
  listLiveSessions,
  revokeSessions,
  touchSession,
  type SessionRow,
} from './sessions.repo.js';

/** Absolute lifetime of a web session, and how long it may sit idle. */
export const SESSION_LIFETIME_SECONDS = 12 * 60 * 60;
export const SESSION_IDLE_SECONDS = 2 * 60 * 60;
const TOUCH_EVERY_MS = 60_000;

export interface StartedSession {
  token: string;
  session: SessionRow;
  csrfToken: string;
}

/**
 * Starts a web session with a fresh id (never reusing one the client sent),
 * and records the sign-in in the account's audit chain.
 */
export async function startSession(
  deps: ServiceDeps,
  input: { account: Account; user: User; ip: string | null; userAgent: string | null; method: string },
): Promise<StartedSession> {
  const now = deps.clock.now();
  const issued = issueSecretToken();
  const session = await deps.db.transaction().execute(async (tx) => {
    const row: SessionRow = {
      account_id: input.account.id,
      id: await reserveIds(tx, 'sessions', 1),
      user_id: input.user.id,
      token_hash: issued.hash,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_LIFETIME_SECONDS * 1000).toISOString(),
      ip: input.ip,
      user_agent: input.userAgent?.slice(0, 512) ?? null,
      revoked_at: null,
      revoked_reason: null,
    };
    await insertSession(tx, row);
    await recordAudit(tx, deps.clock, {
      accountId: input.account.id,
      actor: { type: 'user', id: input.user.id },
      action: 'session.started',
      target: { type: 'session', id: row.id },
      data: { method: input.method },
      personal: { userId: input.user.id, values: { ip: row.ip, user_agent: row.user_agent } },
    });
    return row;
  });
  return { token: issued.raw, session, csrfToken: csrfTokenFor(issued.raw) };
}

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

export interface SessionView {
  id: number;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

export async function listSessions(
  deps: ServiceDeps,
  account: Account,
  user: User,
  currentSessionId: number | null,
): Promise<SessionView[]> {
  const rows = await listLiveSessions(deps.db, account.id, user.id, deps.clock.now().toISOString());
  return rows.map((row) => ({
    id: Number(row.id),
    created_at: row.created_at,
    last_seen_at: row.last_seen_at,
    expires_at: row.expires_at,
    ip: row.ip,
    user_agent: row.user_agent,
    current: Number(row.id) === currentSessionId,
  }));
}

/** Revokes one of a user's sessions (404 when it is not theirs), or all of them. */
export async function revokeUserSessions(
  deps: ServiceDeps,
  input: { account: Account; user: User; sessionId?: number; actor: Principal['user'] | null; reason: string },
): Promise<number> {
  return deps.db.transaction().execute(async (tx) => {
    const revoked = await revokeSessions(
      tx,
      { accountId: input.account.id, userId: input.user.id, sessionId: input.sessionId },
      deps.clock.now().toISOString(),
      input.reason,
    );
    if (input.sessionId !== undefined && revoked === 0) throw notFound('Session');
    if (revoked > 0) {
      await recordAudit(tx, deps.clock, {
        accountId: input.account.id,
        actor: input.actor === null ? { type: 'system' } : { type: 'user', id: input.actor.id },
        action: 'session.revoked',
        target: { type: 'user', id: input.user.id },
        data: { sessions: revoked, reason: input.reason, ...(input.sessionId === undefined ? {} : { session_id: input.sessionId }) },
      });
    }
    return revoked;
  });
}
