import type { User } from '../../db/schema.js';
import { invalid, type AppError } from '../../errors.js';
import type { UserStanding } from './users.repo.js';

/**
 * Whether a user may be authenticated by any channel (session, API token,
 * OAuth token, password, SSO): active, and not deleted. The deletion marker
 * is checked itself, whatever `active` says, so a deleted user whose flag
 * was ever set back (by a bug, a restore, a hand edit) still cannot sign in.
 *
 * @example
 * const standing = await findUserStandingById(db, account.id, session.user_id);
 * if (!mayAuthenticate(standing)) return null;
 */
export function mayAuthenticate(standing: UserStanding | undefined): standing is UserStanding {
  return standing !== undefined && standing.deletedAt === null && standing.user.active === 1;
}

/** The refusal of a change to a deleted user: deletion is final until erasure. */
export const userDeleted = (userId: number): AppError =>
  invalid(
    `User ${userId} was deleted and cannot be changed or reinstated. Create a new user instead, or erase this one with DELETE /api/v2/deleted_users/${userId}.json.`,
    { id: [{ description: 'deleted' }] },
  );

/** The user, refusing a deleted one with {@link userDeleted}. */
export function requireLiveUser(standing: UserStanding): User {
  if (standing.deletedAt !== null) throw userDeleted(Number(standing.user.id));
  return standing.user;
}
