import type { Queryable } from '../../db/database.js';
import type { Account } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findAccountBySubdomain } from '../accounts/accounts.repo.js';
import { staffActor, type StaffPrincipal } from '../staff/staff.service.js';
import { findActiveGrant } from './staff-access.repo.js';
import { staffWorkEvent, type StaffWork } from './staff-work.js';
import { TRIAL_STATUSES } from './staff-access.model.js';

export const staffAccessNotGranted = (subdomain: string): AppError =>
  new AppError(
    'StaffAccessNotGranted',
    `Account ${subdomain} has not granted staff access, or its grant has expired or been revoked. ` +
      `The customer must grant access first: an admin of ${subdomain} creates a grant with POST /api/v2/staff_access/grants.json.`,
  );

const noSuchAccount = (subdomain: string): AppError =>
  new AppError('RecordNotFound', `No account has the subdomain "${subdomain}". Check the spelling.`);

/**
 * Runs one piece of staff work on a customer's account, only while the
 * account has a grant in force (checked against the clock on every call, in
 * the same transaction as the work), and records it on the account's audit
 * chain in that transaction: no grant, no access; no audit event, no access.
 *
 * @example
 * const users = await withGrantedAccess(deps, staff, 'acme', () => ({ kind: 'read', what: 'users.list' }),
 *   (tx, account) => listUsersPage(tx, account.id, window, {}));
 */
export async function withGrantedAccess<T>(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>,
  staff: StaffPrincipal,
  subdomain: string,
  describe: (result: T) => StaffWork,
  work: (tx: Queryable, account: Account) => Promise<T>,
): Promise<T> {
  return deps.db.transaction().execute(async (tx) => {
    const account = await findAccountBySubdomain(tx, subdomain.toLowerCase());
    if (account === undefined) throw noSuchAccount(subdomain);
    const grant = TRIAL_STATUSES.has(account.status) ? undefined : await findActiveGrant(tx, account.id, deps.clock.now().toISOString());
    if (grant === undefined) throw staffAccessNotGranted(account.subdomain);
    const result = await work(tx, account);
    const done = describe(result);
    await recordAudit(
      tx,
      deps,
      staffWorkEvent(account.id, staffActor(staff), {
        ...done,
        details: { ...done.details, staff_role: staff.role, grant_id: Number(grant.id) },
      }),
    );
    return result;
  });
}
