import type { Account } from '../../db/schema.js';
import { invalid, notFound } from '../../errors.js';
import { erasePersonalData } from '../../platform/audit/audit.repo.js';
import { eraseSignInEventsOf } from '../../platform/sign-in-events/sign-in-events.repo.js';
import { recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { forgetSecurityContact } from '../accounts/accounts.repo.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import { forgetApiTokenCreator } from '../auth/api-tokens/api-tokens.repo.js';
import { eraseOauthGrants } from '../auth/oauth/oauth-tokens.repo.js';
import { eraseExposedPasswordsOf } from '../auth/exposed-passwords/exposed-passwords.repo.js';
import { erasePasswords } from '../auth/passwords/passwords.repo.js';
import { eraseSessions } from '../auth/sessions/sessions.repo.js';
import { eraseThrottlesOf } from '../auth/throttle/login-throttle.repo.js';
import { removeOutboxFiles } from '../courier/mail-transport.js';
import { eraseMessagesTo, mailFilesTo } from '../courier/outbox.repo.js';
import { isAccountOwner, ownerOnly } from '../users/account-owner.js';
import { findDeletedUser, findUsersByEmailInAnyRealm, type DeletedUserRow } from '../users/deleted-users.repo.js';
import { markDeleted } from '../users/deleted-users.service.js';
import { erasedUserPlaceholders, eraseUserRow } from '../users/user-erasure.repo.js';
import { findUserById } from '../users/users.repo.js';

/** What one erasure removed, recorded (as counts only) in its `user.erased` audit event. */
export interface ErasedCounts {
  passwordCredentials: number;
  passwordHistory: number;
  sessions: number;
  oauthTokens: number;
  loginThrottles: number;
  messages: number;
  auditEvents: number;
  jobs: number;
  signInEvents: number;
  /** Sealed exposed hashes and the attempts that presented them. */
  exposedPasswords: number;
}

/**
 * Removes a user's personal data from every module that holds it, in the
 * caller's transaction. Each module erases its own rows; this only composes
 * them, in an order where nothing still points at what went.
 */
async function eraseEverywhere(
  deps: Pick<ServiceDeps, 'jobs'>,
  tx: Parameters<typeof erasePasswords>[0],
  user: { account_id: number; id: number; email: string },
  now: string,
): Promise<ErasedCounts> {
  const accountId = Number(user.account_id);
  const userId = Number(user.id);
  const email = user.email.toLowerCase();
  const passwords = await erasePasswords(tx, { accountId, userId });
  const exposedPasswords = await eraseExposedPasswordsOf(tx, accountId, userId);
  const sessions = await eraseSessions(tx, accountId, userId);
  const oauthTokens = await eraseOauthGrants(tx, accountId, userId);
  await forgetApiTokenCreator(tx, accountId, userId);
  const loginThrottles = await eraseThrottlesOf(tx, accountId, email);
  const messages = await eraseMessagesTo(tx, accountId, email, erasedUserPlaceholders(userId).email);
  await forgetSecurityContact(tx, accountId, email, now);
  // Password reset requests carry the address in their job payload.
  const jobs = await deps.jobs.forgetPayloads(tx, 'email', email);
  const signInEvents = await eraseSignInEventsOf(tx, accountId, userId, email);
  await eraseUserRow(tx, accountId, userId, now);
  const auditEvents = await erasePersonalData(tx, accountId, userId);
  return { ...passwords, sessions, oauthTokens, loginThrottles, messages, auditEvents, jobs, signInEvents, exposedPasswords };
}

/**
 * Permanent deletion: removes the user's personal data from every table and
 * from their audit events, whose chain still verifies (the hash covers only a
 * salted digest of it). Audited without the personal data. Erasing an erased
 * user again changes nothing and answers the same.
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
    // The user's attempts still in memory are written first, so that the erasure reaches them too.
    await deps.signInEvents.flush();
    await deps.db.transaction().execute(async (tx) => {
      const current = await findDeletedUser(tx, account.id, userId);
      // Another request erased it meanwhile: nothing left to do.
      if (current === undefined || current.erased_at !== null) return;
      const counts = await eraseEverywhere(deps, tx, current, now);
      await recordAudit(tx, deps, {
        accountId: account.id,
        actor,
        action: 'user.erased',
        target: { type: 'user', id: userId },
        data: { ...counts },
      });
    });
    await removeOutboxFiles(deps.config.dataDir, mailFiles);
    await deps.handle.flushDeletedData();
  }
  const erased = await findDeletedUser(deps.db, account.id, userId);
  if (erased === undefined) throw notFound('Deleted user');
  return erased;
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

/** `DELETE /api/v2/deleted_users/{id}` (admins). */
export async function eraseDeletedUserAsAdmin(deps: ServiceDeps, principal: Principal, userId: number): Promise<DeletedUserRow> {
  requireRole(principal, 'admin', 'write');
  return eraseDeletedUser(deps, principal.account, userId, { type: 'user', id: principal.user.id });
}
