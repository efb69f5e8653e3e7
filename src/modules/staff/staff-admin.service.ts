import { AppError } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { listStaffUsersWithSessions, markStaffUserDisabled, revokeAllStaffSessions, type StaffListRow } from './staff-admin.repo.js';
import { findStaffUserByEmail } from './staff.repo.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

export interface StaffListEntry {
  id: number;
  email: string;
  name: string;
  role: StaffListRow['role'];
  createdAt: string;
  disabledAt: string | null;
  liveSessions: number;
}

/** Every staff member, enabled or not, with their live sessions. */
export async function listStaff(deps: Deps): Promise<StaffListEntry[]> {
  const rows = await listStaffUsersWithSessions(deps.db, deps.clock.now().toISOString());
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    liveSessions: row.live_sessions,
  }));
}

/**
 * Disables a staff member: no further sign-in, and every session ends at once
 * (revoked here; the session lookup also refuses a disabled owner). Audited on
 * the platform chain. Disabling twice, or an unknown email, is refused with a
 * message saying so.
 *
 * @example
 * await disableStaffUser(deps, { email: 'sam@vendor.test', actor: { type: 'cli' } });
 */
export async function disableStaffUser(
  deps: Deps,
  input: { email: string; actor: Actor },
): Promise<{ id: number; sessionsRevoked: number }> {
  const email = input.email.trim().toLowerCase();
  const staff = await findStaffUserByEmail(deps.db, email);
  if (staff === undefined) throw new AppError('RecordNotFound', `No staff member has the email ${email}; "riposte staff list" shows them.`);
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const disabled = await markStaffUserDisabled(tx, Number(staff.id), now);
    if (disabled === undefined)
      throw new AppError('AlreadyDisabled', `Staff member ${email} was already disabled at ${staff.disabled_at ?? now}.`);
    const sessionsRevoked = await revokeAllStaffSessions(tx, Number(staff.id), now);
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'staff.disabled',
      target: { type: 'staff_user', id: Number(staff.id) },
      data: { sessions_revoked: sessionsRevoked },
    });
    return { id: Number(staff.id), sessionsRevoked };
  });
}
