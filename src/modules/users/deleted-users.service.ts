import type { Account, User } from '../../db/schema.js';
import { invalid, notFound } from '../../errors.js';
import { recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import { countDeletedUsers, findDeletedUser, listDeletedUsersPage, markUserDeleted, type DeletedUserRow } from './deleted-users.repo.js';
import { isAccountOwner, ownerOnly } from './account-owner.js';
import { findUserById } from './users.repo.js';

/**
 * `DELETE /api/v2/users/{id}` (admins): the user is suspended and every
 * session and OAuth token revoked; it then shows in the deleted users until
 * permanently deleted. Deleting a deleted user again changes nothing.
 */
export async function softDeleteUser(deps: ServiceDeps, principal: Principal, userId: number): Promise<DeletedUserRow> {
  requireRole(principal, 'admin', 'write');
  const user = await findUserById(deps.db, principal.account.id, userId);
  if (user === undefined) throw notFound('User');
  if (user.id === principal.user.id)
    throw invalid('You cannot delete yourself; ask another admin of the account.', { user: [{ description: 'is you' }] });
  return markDeleted(deps, principal.account, user, { type: 'user', id: principal.user.id });
}

/** Marks a user deleted (suspended, sessions and OAuth tokens revoked), once; erasure starts from here. */
export async function markDeleted(deps: ServiceDeps, account: Account, user: User, actor: Actor): Promise<DeletedUserRow> {
  const already = await findDeletedUser(deps.db, account.id, user.id);
  if (already !== undefined) return already;
  // The owner's user is matched by id, so renaming it first changes nothing.
  if (await isAccountOwner(deps.db, account.id, user.id)) throw ownerOnly();
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    const revoked = await markUserDeleted(tx, user, actor.type === 'user' ? Number(actor.id) : null, now);
    if (revoked === undefined) return;
    await recordAudit(tx, deps, {
      accountId: account.id,
      actor,
      action: 'user.deleted',
      target: { type: 'user', id: user.id },
      data: { sessions_revoked: revoked.sessions, oauth_tokens_revoked: revoked.oauthTokens },
    });
  });
  const deleted = await findDeletedUser(deps.db, account.id, user.id);
  if (deleted === undefined) throw notFound('User');
  return deleted;
}

export async function listDeletedUsers(deps: ServiceDeps, principal: Principal, page: PageRequest) {
  requireRole(principal, 'admin');
  const rows = await listDeletedUsersPage(deps.db, principal.account.id, pageWindow(page));
  return { rows, count: () => countDeletedUsers(deps.db, principal.account.id) };
}

/** A deleted user not yet permanently deleted; 404 otherwise, as Zendesk answers. */
export async function showDeletedUser(deps: ServiceDeps, principal: Principal, userId: number): Promise<DeletedUserRow> {
  requireRole(principal, 'admin');
  const row = await findDeletedUser(deps.db, principal.account.id, userId);
  if (row === undefined || row.erased_at !== null) throw notFound('Deleted user');
  return row;
}
