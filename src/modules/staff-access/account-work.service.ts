import type { User } from '../../db/schema.js';
import { invalid, notFound } from '../../errors.js';
import { pageWindow, type PageRequest } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findMarketplaceApp } from '../apps/app-definition.js';
import { countInstallations, listInstallationsPage, readSecretStates } from '../apps/installations.repo.js';
import { revokeSessions } from '../auth/sessions/sessions.repo.js';
import type { StaffPrincipal } from '../staff/staff.service.js';
import { ownerOnly, isAccountOwner } from '../users/account-owner.js';
import { requireLiveUser, userDeleted } from '../users/user-standing.js';
import { countUsers, findUserById, findUserStandingById, listUsersPage, updateUser } from '../users/users.repo.js';
import { privateAppNames } from './account-work.repo.js';
import { withGrantedAccess } from './granted-access.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

/**
 * What support staff may do on an account that has granted access: read its
 * users and installations, and suspend or reinstate a user. Each call checks
 * the grant and writes its `staff.read` / `staff.write` event.
 */
export interface StaffPage<T> {
  rows: T[];
  count: number | null;
}

export async function listUsersAsStaff(deps: Deps, staff: StaffPrincipal, subdomain: string, page: PageRequest): Promise<StaffPage<User>> {
  return withGrantedAccess(
    deps,
    staff,
    subdomain,
    (result) => ({ kind: 'read', what: 'users.list', details: { user_ids: result.rows.map((user) => Number(user.id)) } }),
    async (tx, account) => ({
      rows: await listUsersPage(tx, account.id, pageWindow(page), {}),
      count: page.style === 'offset' ? await countUsers(tx, account.id, {}) : null,
    }),
  );
}

export async function showUserAsStaff(deps: Deps, staff: StaffPrincipal, subdomain: string, userId: number): Promise<User> {
  return withGrantedAccess(
    deps,
    staff,
    subdomain,
    () => ({ kind: 'read', what: 'user.show', target: { type: 'user', id: userId } }),
    async (tx, account) => {
      const user = await findUserById(tx, account.id, userId);
      if (user === undefined) throw notFound('User');
      return user;
    },
  );
}

/** An installation as staff see it: which app, and when each secret was last set; never a setting's value. */
export interface StaffInstallationView {
  id: number;
  app_id: number;
  app_name: string | null;
  product: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  secure_settings: Record<string, { set_at: string }>;
}

export async function listInstallationsAsStaff(
  deps: Deps,
  staff: StaffPrincipal,
  subdomain: string,
  page: PageRequest,
): Promise<StaffPage<StaffInstallationView>> {
  return withGrantedAccess(
    deps,
    staff,
    subdomain,
    (result) => ({ kind: 'read', what: 'installations.list', details: { installation_ids: result.rows.map((row) => row.id) } }),
    async (tx, account) => {
      const rows = await listInstallationsPage(tx, account.id, pageWindow(page));
      const ids = rows.map((row) => Number(row.id));
      const secrets = await readSecretStates(tx, account.id, ids);
      const names = await privateAppNames(
        tx,
        account.id,
        rows.map((row) => Number(row.app_id)).filter((appId) => findMarketplaceApp(appId) === undefined),
      );
      const views = rows.map((row): StaffInstallationView => {
        const appId = Number(row.app_id);
        return {
          id: Number(row.id),
          app_id: appId,
          app_name: findMarketplaceApp(appId)?.name ?? names.get(appId) ?? null,
          product: row.product,
          enabled: Number(row.enabled) === 1,
          created_at: row.created_at,
          updated_at: row.updated_at,
          secure_settings: Object.fromEntries(
            secrets
              .filter((secret) => Number(secret.installation_id) === Number(row.id))
              .map((secret) => [secret.field, { set_at: secret.set_at }]),
          ),
        };
      });
      return { rows: views, count: page.style === 'offset' ? await countInstallations(tx, account.id) : null };
    },
  );
}

/**
 * Suspends a user (no sign-in, every session revoked) or reinstates one.
 * Changing a suspended user's state to what it already is is a 422, so a
 * repeated click shows plainly. A deleted user is neither (422: deletion is
 * final). The account owner is neither: only the owner changes their own
 * active state (403): staff work under a grant any admin may give, and must
 * not be able to lock the account's owner out of their own account.
 */
export async function setUserSuspendedAsStaff(
  deps: Deps,
  staff: StaffPrincipal,
  subdomain: string,
  input: { userId: number; suspended: boolean; reason: string | null },
): Promise<User> {
  const now = deps.clock.now().toISOString();
  const changed = await withGrantedAccess<{ user: User; sessionsRevoked: number }>(
    deps,
    staff,
    subdomain,
    (result) => ({
      kind: 'write',
      what: input.suspended ? 'user.suspend' : 'user.unsuspend',
      target: { type: 'user', id: input.userId },
      details: { sessions_revoked: result.sessionsRevoked },
      ...(input.reason === null ? {} : { personal: { userId: input.userId, values: { reason: input.reason } } }),
    }),
    async (tx, account) => {
      const standing = await findUserStandingById(tx, account.id, input.userId);
      if (standing === undefined) throw notFound('User');
      const user = requireLiveUser(standing);
      if (await isAccountOwner(tx, account.id, user.id)) throw ownerOnly();
      const active = input.suspended ? 0 : 1;
      if (user.active === active)
        throw invalid(`User ${input.userId} is already ${input.suspended ? 'suspended' : 'active'}.`, {
          suspended: [`is already ${String(input.suspended)}`],
        });
      if (!(await updateUser(tx, account.id, user.id, { active, updated_at: now }))) throw userDeleted(user.id);
      const sessionsRevoked = input.suspended
        ? await revokeSessions(tx, { accountId: account.id, userId: user.id }, now, 'suspended_by_staff')
        : 0;
      return { user: { ...user, active, updated_at: now }, sessionsRevoked };
    },
  );
  return changed.user;
}
