import { reserveIds } from '../../../db/sequences.js';
import type { Account, User } from '../../../db/schema.js';
import { notFound } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import type { Principal } from '../../accounts/principal.js';
import { issueSecretToken } from '../secret-tokens.js';
import { csrfTokenFor } from './session-cookie.js';
import { insertSession, listLiveSessions, revokeSessions, type SessionRow } from './sessions.repo.js';

/** Absolute lifetime of a web session, and how long it may sit idle. */
export const SESSION_LIFETIME_SECONDS = 12 * 60 * 60;
export const SESSION_IDLE_SECONDS = 2 * 60 * 60;

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
    await recordAudit(tx, deps, {
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
      await recordAudit(tx, deps, {
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
