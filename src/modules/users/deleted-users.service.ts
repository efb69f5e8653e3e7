import fs from 'node:fs';
import path from 'node:path';
import type { Account, User } from '../../db/schema.js';
import { invalid, notFound } from '../../errors.js';
import { erasePersonalData } from '../../platform/audit/audit.repo.js';
import { recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireRole, type Principal } from '../auth/principal.js';
import {
  countDeletedUsers,
  findDeletedUser,
  findUsersByEmailInAnyRealm,
  listDeletedUsersPage,
  markUserDeleted,
  type DeletedUserRow,
} from './deleted-users.repo.js';
import { erasePgBossJobs, eraseUserData, mailFilesTo } from './user-erasure.repo.js';
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

async function markDeleted(deps: ServiceDeps, account: Account, user: User, actor: Actor): Promise<DeletedUserRow> {
  const already = await findDeletedUser(deps.db, account.id, user.id);
  if (already !== undefined) return already;
  // The owner's user is matched by id, so renaming it first changes nothing.
  if (await isAccountOwner(deps.db, account.id, user.id)) throw ownerOnly();
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    const revoked = await markUserDeleted(tx, user, actor.type === 'user' ? Number(actor.id) : null, now);
    if (revoked === undefined) return;
    await recordAudit(tx, deps.clock, {
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

/**
 * `riposte users erase`: deletes then permanently deletes every user of the
 * account with this address (one per realm), for a data subject's request.
 */
export async function eraseUsersByEmail(deps: ServiceDeps, account: Account, email: string, actor: Actor): Promise<DeletedUserRow[]> {
  const users = await findUsersByEmailInAnyRealm(deps.db, account.id, email);
  const erased: DeletedUserRow[] = [];
  for (const user of users) {
    await markDeleted(deps, account, user, actor);
    erased.push(await eraseDeletedUser(deps, account, user.id, actor));
  }
  return erased;
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

/**
 * Permanent deletion: removes the user's personal data from every table
 * (`eraseUserData`) and from their audit events, whose chain still verifies
 * (the hash covers only a salted digest of it). Audited without the personal
 * data. Erasing an erased user again changes nothing and answers the same.
 */
export async function eraseDeletedUser(deps: ServiceDeps, account: Account, userId: number, actor: Actor): Promise<DeletedUserRow> {
  const found = await findDeletedUser(deps.db, account.id, userId);
  if (found === undefined) {
    if ((await findUserById(deps.db, account.id, userId)) === undefined) throw notFound('Deleted user');
    throw invalid(`User ${userId} is not deleted; delete it first with DELETE /api/v2/users/${userId}.json.`, {
      user: [{ description: 'is not deleted' }],
    });
  }
  if (found.erased_at === null) {
    if (await isAccountOwner(deps.db, account.id, found.id)) throw ownerOnly();
    const mailFiles = await mailFilesTo(deps.db, account.id, found.email);
    const now = deps.clock.now().toISOString();
    await deps.db.transaction().execute(async (tx) => {
      const current = await findDeletedUser(tx, account.id, userId);
      // Another request erased it meanwhile: nothing left to do.
      if (current === undefined || current.erased_at !== null) return;
      const counts = await eraseUserData(tx, current, now);
      counts.auditEvents = await erasePersonalData(tx, account.id, userId);
      if (deps.handle.capabilities.sharedAcrossProcesses) counts.jobs += await erasePgBossJobs(tx, current.email);
      await recordAudit(tx, deps.clock, {
        accountId: account.id,
        actor,
        action: 'user.erased',
        target: { type: 'user', id: userId },
        data: { ...counts },
      });
    });
    await removeMailFiles(deps.config.dataDir, mailFiles);
    // The write-ahead log still holds the pages as they were before: copy it into the database and empty it.
    deps.handle.sqlite?.pragma('wal_checkpoint(TRUNCATE)');
  }
  const erased = await findDeletedUser(deps.db, account.id, userId);
  if (erased === undefined) throw notFound('Deleted user');
  return erased;
}

/** Copies of mail the embedded transport wrote to the data directory (no SMTP server configured) go too. */
async function removeMailFiles(dataDir: string, files: readonly string[]): Promise<void> {
  const outbox = path.resolve(dataDir, 'outbox') + path.sep;
  for (const file of files.map((name) => path.resolve(name)).filter((name) => name.startsWith(outbox))) {
    await fs.promises.rm(file, { force: true });
  }
}

/** `DELETE /api/v2/deleted_users/{id}` (admins). */
export async function eraseDeletedUserAsAdmin(deps: ServiceDeps, principal: Principal, userId: number): Promise<DeletedUserRow> {
  requireRole(principal, 'admin', 'write');
  return eraseDeletedUser(deps, principal.account, userId, { type: 'user', id: principal.user.id });
}
