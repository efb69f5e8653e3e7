import type { Queryable } from '../../db/database.js';

/** What a permanently deleted user's row keeps: nothing that identifies a person. */
export const erasedUserPlaceholders = (userId: number) => ({
  name: 'Deleted user',
  // `.invalid` is reserved (RFC 2606): never deliverable, never anyone's address.
  email: `deleted-user-${userId}@erased.invalid`,
  phone: null,
  locale: null,
  external_id: null,
});

/**
 * Erasure of the users module's own rows: the user keeps placeholders (so ids
 * in audit events, campaign targets and grants still resolve, to no one), is
 * suspended, and its deletion is marked erased.
 */
export async function eraseUserRow(db: Queryable, accountId: number, userId: number, now: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...erasedUserPlaceholders(userId), active: 0, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', userId)
    .execute();
  await db
    .updateTable('user_deletions')
    .set({ erased_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .execute();
}
