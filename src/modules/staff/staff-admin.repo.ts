import type { Queryable } from '../../db/database.js';
import type { StaffUserRow } from './staff.repo.js';

/** A staff member's columns, both selected and grouped by: one row per member, beside the count of live sessions. */
const STAFF_COLUMNS = [
  'staff_users.id',
  'staff_users.email',
  'staff_users.name',
  'staff_users.role',
  'staff_users.created_at',
  'staff_users.disabled_at',
] as const;

export type StaffListRow = Pick<StaffUserRow, 'id' | 'email' | 'name' | 'role' | 'created_at' | 'disabled_at'> & { live_sessions: number };

/** Every staff member with the count of their sessions live at `now`, by id. */
export async function listStaffUsersWithSessions(db: Queryable, now: string): Promise<StaffListRow[]> {
  const rows = await db
    .selectFrom('staff_users')
    .leftJoin('staff_sessions', (join) =>
      join
        .onRef('staff_sessions.staff_id', '=', 'staff_users.id')
        .on('staff_sessions.revoked_at', 'is', null)
        .on('staff_sessions.expires_at', '>', now),
    )
    .select([...STAFF_COLUMNS, (eb) => eb.fn.count<number>('staff_sessions.id').as('live_sessions')])
    .groupBy([...STAFF_COLUMNS])
    .orderBy('staff_users.id')
    .execute();
  return rows.map((row) => ({ ...row, id: Number(row.id), live_sessions: Number(row.live_sessions) }));
}

/** Disables a staff member still enabled; the row when it was. */
export function markStaffUserDisabled(db: Queryable, id: number, now: string): Promise<StaffUserRow | undefined> {
  return db
    .updateTable('staff_users')
    .set({ disabled_at: now })
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Ends every live session of a staff member; how many there were. */
export async function revokeAllStaffSessions(db: Queryable, staffId: number, now: string): Promise<number> {
  const result = await db
    .updateTable('staff_sessions')
    .set({ revoked_at: now })
    .where('staff_id', '=', staffId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
