import type { Insertable, Selectable } from 'kysely';
import type { Queryable } from '../../../db/database.js';
import type { SsoConfigsTable, User } from '../../../db/schema.js';

export type SsoConfigRow = Selectable<SsoConfigsTable>;

/** An account's SSO configuration; undefined until an admin first saves one. */
export async function findSsoConfig(db: Queryable, accountId: number): Promise<SsoConfigRow | undefined> {
  return db.selectFrom('sso_configs').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

/** Writes the whole configuration row of an account (one per account). */
export async function saveSsoConfig(db: Queryable, row: Required<Insertable<SsoConfigsTable>>): Promise<void> {
  const { account_id: accountId, ...changes } = row;
  await db
    .insertInto('sso_configs')
    .values({ account_id: accountId, ...changes })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(changes))
    .execute();
}

/**
 * Spends a single-use assertion id (a JWT `jti`, a SAML assertion `ID`).
 * Returns false when the id was already spent and has not yet expired: a
 * replay. Expired ids of the account are forgotten first, so the table only
 * holds what could still be replayed.
 */
export async function consumeAssertionId(
  db: Queryable,
  accountId: number,
  assertionId: string,
  expiresAt: string,
  now: string,
): Promise<boolean> {
  await db.deleteFrom('sso_replays').where('account_id', '=', accountId).where('expires_at', '<', now).execute();
  const inserted = await db
    .insertInto('sso_replays')
    .values({ account_id: accountId, assertion_id: assertionId, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['account_id', 'assertion_id']).doNothing())
    .returning('assertion_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The user an identity provider knows by `externalId`, within one account and realm. */
export async function findUserByExternalId(db: Queryable, accountId: number, realm: string, externalId: string): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('realm', '=', realm)
    .where('external_id', '=', externalId)
    .orderBy('id')
    .executeTakeFirst();
}
