import type { Selectable } from 'kysely';
import type { Queryable } from '../../../db/database.js';
import type { PasswordChangeStepsTable, SessionsTable } from '../../../db/schema.js';

export type SessionRow = Selectable<SessionsTable>;
export type ChangeStepRow = Selectable<PasswordChangeStepsTable>;

export async function insertSession(db: Queryable, session: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export async function findLiveSessionByTokenHash(db: Queryable, tokenHash: string, now: string): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

export async function touchSession(db: Queryable, accountId: number, sessionId: number, now: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('account_id', '=', accountId).where('id', '=', sessionId).execute();
}

export async function listLiveSessions(db: Queryable, accountId: number, userId: number, now: string): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('id', 'desc')
    .execute();
}

/** Revokes one session of a user, or all when `sessionId` is omitted; returns how many. */
export async function revokeSessions(
  db: Queryable,
  where: { accountId: number; userId: number; sessionId?: number },
  now: string,
  reason: string,
): Promise<number> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('account_id', '=', where.accountId)
    .where('user_id', '=', where.userId)
    .where('revoked_at', 'is', null);
  if (where.sessionId !== undefined) query = query.where('id', '=', where.sessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertChangeStep(db: Queryable, step: ChangeStepRow): Promise<void> {
  await db.insertInto('password_change_steps').values(step).execute();
}

/**
 * Marks an unused, unexpired step used and returns it: one statement, so two
 * requests racing with the same token cannot both succeed.
 */
export async function consumeChangeStep(
  db: Queryable,
  tokenHash: string,
  purpose: ChangeStepRow['purpose'],
  now: string,
): Promise<ChangeStepRow | undefined> {
  return db
    .updateTable('password_change_steps')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

export async function findUsableChangeStep(
  db: Queryable,
  tokenHash: string,
  purpose: ChangeStepRow['purpose'],
  now: string,
): Promise<ChangeStepRow | undefined> {
  return db
    .selectFrom('password_change_steps')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/**
 * Ends what a new password must end, in the transaction that stores it:
 * every unused reset link and forced-change step of the user (marked used,
 * so none can set a password again), and every live session except
 * `keepSessionId`. Returns how many of each.
 */
export async function endSessionsAndPasswordSteps(
  db: Queryable,
  key: { accountId: number; userId: number },
  options: { keepSessionId: number | null; now: string; reason: string },
): Promise<{ sessions: number; steps: number }> {
  const steps = await db
    .updateTable('password_change_steps')
    .set({ used_at: options.now })
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  let sessions = db
    .updateTable('sessions')
    .set({ revoked_at: options.now, revoked_reason: options.reason })
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .where('revoked_at', 'is', null);
  if (options.keepSessionId !== null) sessions = sessions.where('id', '!=', options.keepSessionId);
  const revoked = await sessions.executeTakeFirst();
  return { sessions: Number(revoked.numUpdatedRows), steps: Number(steps.numUpdatedRows) };
}

/** Erasure: a person's sessions (with the addresses and user agents they recorded) go. */
export async function eraseSessions(db: Queryable, accountId: number, userId: number): Promise<number> {
  const result = await db.deleteFrom('sessions').where('account_id', '=', accountId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Web sessions that ended (expired or revoked) before `cutoff`. */
export async function deleteEndedSessions(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'id'),
        'in',
        eb
          .selectFrom('sessions as ended')
          .select(['ended.account_id', 'ended.id'])
          .where((w) => w.or([w('ended.expires_at', '<', cutoff), w('ended.revoked_at', '<', cutoff)]))
          .limit(limit)
          .$asTuple('account_id', 'id'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countEndedSessions(db: Queryable, cutoff: string): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((w) => w.or([w('expires_at', '<', cutoff), w('revoked_at', '<', cutoff)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
