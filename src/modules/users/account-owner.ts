import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { findAccountOwnerId } from '../accounts/account-owner.repo.js';
import type { CredentialChannel, Principal } from '../accounts/principal.js';
import type { UserInput } from './users.schema.js';

/**
 * The credentials that prove the owner is acting: their own web session or
 * their own password. An API token belongs to the account (any admin makes
 * one, then names any agent's email with it) and an admin can issue an
 * OAuth token for any user, so neither proves it.
 */
const OWNER_PROOF: ReadonlySet<CredentialChannel> = new Set(['session', 'password']);

/** What only the owner changes on the owner's user (with the password, and deletion). */
export const OWNER_GUARDED_FIELDS = ['email', 'role', 'active', 'sso', 'external_id'] as const satisfies ReadonlyArray<keyof UserInput>;

export const ownerOnly = (): AppError =>
  new AppError(
    'Forbidden',
    "Only the account owner can make this change: the owner's email, role, password, single sign-on, active state and deletion are theirs alone. " +
      'The owner makes it signed in with their own password or web session (an API or OAuth token is not enough).',
  );

/** Whether `userId` is the account's owner, read afresh from the account. */
export async function isAccountOwner(db: Queryable, accountId: number, userId: number): Promise<boolean> {
  return (await findAccountOwnerId(db, accountId)) === Number(userId);
}

/**
 * Refuses (403) a change to the owner's guarded fields or password unless
 * the owner makes it, proven by a credential only they hold. Anyone else
 * (another admin, staff: `actor` null) is refused. Users who are not the
 * owner pass.
 *
 * @example
 * await requireOwnerForOwnerChange(deps.db, account.id, user.id, principal);
 */
export async function requireOwnerForOwnerChange(
  db: Queryable,
  accountId: number,
  targetUserId: number,
  actor: Principal | null,
): Promise<void> {
  if (!(await isAccountOwner(db, accountId, targetUserId))) return;
  if (actor !== null && Number(actor.user.id) === Number(targetUserId) && OWNER_PROOF.has(actor.via)) return;
  throw ownerOnly();
}

/** Whether a user change touches what only the owner may change. */
export const touchesOwnerGuardedFields = (input: UserInput): boolean => OWNER_GUARDED_FIELDS.some((field) => input[field] !== undefined);
