import type { Queryable } from '../../db/database.js';
import { type StaffAccessGrantRow } from './staff-access.model.js';

export const GRANT_ID_SEQUENCE = 'staff_access_grants';

export async function insertGrant(db: Queryable, row: StaffAccessGrantRow): Promise<void> {
  await db.insertInto('staff_access_grants').values(row).execute();
}

export function findGrant(db: Queryable, accountId: number, id: number): Promise<StaffAccessGrantRow | undefined> {
  return db.selectFrom('staff_access_grants').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** An account's grants, newest first (an account has a handful; no paging needed). */
export function listGrants(db: Queryable, accountId: number): Promise<StaffAccessGrantRow[]> {
  return db.selectFrom('staff_access_grants').selectAll().where('account_id', '=', accountId).orderBy('id', 'desc').limit(1000).execute();
}

/** A grant of the account in force at `now`: not revoked, and not expired. */
export function findActiveGrant(db: Queryable, accountId: number, now: string): Promise<StaffAccessGrantRow | undefined> {
  return db
    .selectFrom('staff_access_grants')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** Revokes a grant still in force at `now`; the row when it was, undefined when it had already ended. */
export function revokeActiveGrant(
  db: Queryable,
  input: { accountId: number; id: number; now: string; revokedBy: number },
): Promise<StaffAccessGrantRow | undefined> {
  return db
    .updateTable('staff_access_grants')
    .set({ revoked_at: input.now, revoked_by: input.revokedBy })
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.id)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', input.now)]))
    .returningAll()
    .executeTakeFirst();
}

/**
 * Marks a grant's expiry recorded, once: only a grant that has run out at
 * `now`, was not revoked first, and whose expiry is not yet recorded.
 */
export function claimExpiry(db: Queryable, accountId: number, id: number, now: string): Promise<StaffAccessGrantRow | undefined> {
  return db
    .updateTable('staff_access_grants')
    .set({ expiry_recorded_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('expiry_recorded_at', 'is', null)
    .where('expires_at', '<=', now)
    .returningAll()
    .executeTakeFirst();
}

/** Who is told of a change: the account's active admins (every realm), with their locales. */
export function listAdminRecipients(db: Queryable, accountId: number): Promise<Array<{ email: string; locale: string | null }>> {
  return db
    .selectFrom('users')
    .select(['email', 'locale'])
    .where('account_id', '=', accountId)
    .where('role', '=', 'admin')
    .where('active', '=', 1)
    .orderBy('id')
    .limit(500)
    .execute();
}
