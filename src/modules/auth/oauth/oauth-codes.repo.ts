import type { Queryable } from '../../../db/database.js';
import { type OauthCodeRow } from './oauth.model.js';

export async function insertCode(db: Queryable, row: OauthCodeRow): Promise<void> {
  await db.insertInto('oauth_codes').values(row).execute();
}

/** A confidential read, for redeeming the code only. */
export async function findCodeForRedemption(db: Queryable, accountId: number, codeHash: string): Promise<OauthCodeRow | undefined> {
  return db.selectFrom('oauth_codes').selectAll().where('account_id', '=', accountId).where('code_hash', '=', codeHash).executeTakeFirst();
}

/**
 * Marks an unused code used: one statement, so of two requests racing with
 * the same code exactly one wins.
 */
export async function consumeCode(db: Queryable, accountId: number, codeHash: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('oauth_codes')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
