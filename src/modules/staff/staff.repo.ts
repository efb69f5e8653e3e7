import type { Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { StaffSessionsTable, StaffUsersTable } from '../../db/schema.js';

export type StaffUserRow = Selectable<StaffUsersTable>;
export type StaffSessionRow = Selectable<StaffSessionsTable>;

export async function insertStaffUser(db: Queryable, row: StaffUserRow): Promise<void> {
  await db.insertInto('staff_users').values(row).execute();
}

export function findStaffUserByEmail(db: Queryable, email: string): Promise<StaffUserRow | undefined> {
  return db.selectFrom('staff_users').selectAll().where('email', '=', email).executeTakeFirst();
}

/**
 * Records `step` as the last TOTP step used, only if it is later than the one
 * on record: two sign-ins racing with the same code cannot both win.
 */
export async function claimTotpStep(db: Queryable, id: number, step: number): Promise<boolean> {
  const result = await db
    .updateTable('staff_users')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertStaffSession(db: Queryable, row: StaffSessionRow): Promise<void> {
  await db.insertInto('staff_sessions').values(row).execute();
}

/** A session by its token hash with its staff member, when neither is revoked, disabled or expired at `now`. */
export function findLiveStaffSession(
  db: Queryable,
  tokenHash: string,
  now: string,
): Promise<{ session_id: number; staff_id: number; email: string; name: string; role: StaffUserRow['role'] } | undefined> {
  return db
    .selectFrom('staff_sessions')
    .innerJoin('staff_users', 'staff_users.id', 'staff_sessions.staff_id')
    .select(['staff_sessions.id as session_id', 'staff_users.id as staff_id', 'staff_users.email', 'staff_users.name', 'staff_users.role'])
    .where('staff_sessions.token_hash', '=', tokenHash)
    .where('staff_sessions.revoked_at', 'is', null)
    .where('staff_sessions.expires_at', '>', now)
    .where('staff_users.disabled_at', 'is', null)
    .executeTakeFirst();
}

export async function revokeStaffSession(db: Queryable, id: number, now: string): Promise<void> {
  await db.updateTable('staff_sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Staff sessions that ended before `cutoff`. */
export async function deleteEndedStaffSessions(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('staff_sessions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('staff_sessions as ended')
        .select('ended.id')
        .where((w) => w.or([w('ended.expires_at', '<', cutoff), w('ended.revoked_at', '<', cutoff)]))
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Staff sessions that ended before `cutoff`, for a retention dry run. */
export async function countEndedStaffSessions(db: Queryable, cutoff: string): Promise<number> {
  const row = await db
    .selectFrom('staff_sessions')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((w) => w.or([w('expires_at', '<', cutoff), w('revoked_at', '<', cutoff)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
