import type { ExpressionBuilder } from 'kysely';
import { chunks } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { Database } from '../../db/schema.js';

/** The realm the owner signs in to: Support's, shared by the core products. */
const OWNER_REALM = 'core';

/**
 * The user id of the account's owner, read afresh (not from a cached account
 * row); null when no user is linked as the owner.
 */
export async function findAccountOwnerId(db: Queryable, accountId: number): Promise<number | null> {
  const row = await db.selectFrom('accounts').select('owner_user_id').where('id', '=', accountId).executeTakeFirst();
  return row?.owner_user_id == null ? null : Number(row.owner_user_id);
}

/** The live core-realm user of the account being updated whose email is its owner email (emails are stored lower-cased). */
const ownerCandidate = (eb: ExpressionBuilder<Database, 'accounts'>) =>
  eb
    .selectFrom('users as u')
    .whereRef('u.account_id', '=', 'accounts.id')
    .where('u.realm', '=', OWNER_REALM)
    .where((inner) => inner('u.email', '=', inner.fn<string>('lower', ['accounts.owner_email'])))
    .where((inner) =>
      inner.not(
        inner.exists(
          inner
            .selectFrom('user_deletions as d')
            .select('d.user_id')
            .whereRef('d.account_id', '=', 'u.account_id')
            .whereRef('d.user_id', '=', 'u.id'),
        ),
      ),
    );

/**
 * Links each of these accounts that has no owner user yet to its live
 * core-realm user whose email is the account's `owner_email`, when there is
 * one; one statement per batch of accounts. Accounts already linked keep
 * their owner: the link follows the user, not the address. With
 * `accountIds` undefined, every account.
 *
 * @example
 * await linkAccountOwners(tx, [account.id]);
 */
export async function linkAccountOwners(db: Queryable, accountIds: readonly number[] | undefined, maxParameters = 999): Promise<void> {
  const link = async (ids: readonly number[] | undefined): Promise<void> => {
    await db
      .updateTable('accounts')
      .set((eb) => ({ owner_user_id: ownerCandidate(eb).select((inner) => inner.fn.min('u.id').as('id')) }))
      .where('owner_user_id', 'is', null)
      .where((eb) => eb.exists(ownerCandidate(eb).select('u.id')))
      .$if(ids !== undefined, (query) => query.where('id', 'in', [...(ids ?? [])]))
      .execute();
  };
  if (accountIds === undefined) return link(undefined);
  for (const batch of chunks(accountIds, Math.max(1, maxParameters - 1))) await link(batch);
}
