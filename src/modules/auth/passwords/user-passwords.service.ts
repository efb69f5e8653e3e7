import { forbidden, notFound } from '../../../errors.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requireRole, type Principal } from '../../accounts/principal.js';
import { requireOwnerForOwnerChange } from '../../users/account-owner.js';
import { findUserStandingById } from '../../users/users.repo.js';
import { requireLiveUser } from '../../users/user-standing.js';
import { changePassword } from './passwords.service.js';

/** `PUT /users/{id}/password`: a user changes their own password, the old one required. */
export async function changeOwnPassword(
  deps: ServiceDeps,
  principal: Principal,
  userId: number,
  input: { previousPassword: string; password: string; clientIp: string | null },
): Promise<void> {
  requireRole(principal, 'end-user', 'write');
  if (principal.user.id !== userId) throw forbidden('You can only change your own password this way; admins set others’ with POST.');
  await changePassword(deps, {
    account: principal.account,
    user: principal.user,
    newPassword: input.password,
    currentPassword: input.previousPassword,
    actor: { type: 'user', id: principal.user.id },
    reason: 'self',
    clientIp: input.clientIp,
    // The session making the change stays signed in; every other one ends.
    keepSessionId: principal.via === 'session' ? principal.credentialId : null,
  });
}

/**
 * `POST /users/{id}/password`: an admin sets another user's password; all
 * of that user's sessions end. Refused for a deleted user, and for the
 * account owner unless the owner sets it themself.
 */
export async function setPasswordAsAdmin(
  deps: ServiceDeps,
  principal: Principal,
  userId: number,
  password: string,
  clientIp: string | null,
): Promise<void> {
  requireRole(principal, 'admin', 'write');
  const standing = await findUserStandingById(deps.db, principal.account.id, userId);
  if (standing === undefined) throw notFound('User');
  const user = requireLiveUser(standing);
  await requireOwnerForOwnerChange(deps.db, principal.account.id, user.id, principal);
  await changePassword(deps, {
    account: principal.account,
    user,
    newPassword: password,
    actor: { type: 'user', id: principal.user.id },
    reason: 'admin',
    clientIp,
  });
}
