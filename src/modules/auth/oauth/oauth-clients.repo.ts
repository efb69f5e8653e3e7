import type { Queryable } from '../../../db/database.js';
import { type OauthClientRow } from './oauth.model.js';

/** OAuth clients take their ids from this sequence (`reserveIds`). */
export const OAUTH_CLIENT_ID_SEQUENCE = 'oauth_clients';

export interface PageWindow {
  afterId: number | null;
  offset: number;
  limit: number;
}

export async function insertClient(db: Queryable, row: OauthClientRow): Promise<void> {
  await db.insertInto('oauth_clients').values(row).execute();
}

export async function listClientsPage(db: Queryable, accountId: number, window: PageWindow): Promise<OauthClientRow[]> {
  let query = db.selectFrom('oauth_clients').selectAll().where('account_id', '=', accountId);
  if (window.afterId !== null) query = query.where('id', '>', window.afterId);
  return query.orderBy('id').limit(window.limit).offset(window.offset).execute();
}

export async function countClients(db: Queryable, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('oauth_clients')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function findClientById(db: Queryable, accountId: number, id: number): Promise<OauthClientRow | undefined> {
  return db.selectFrom('oauth_clients').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** By the identifier third-party apps send as `client_id` (unique per account). */
export async function findClientByIdentifier(db: Queryable, accountId: number, identifier: string): Promise<OauthClientRow | undefined> {
  return db
    .selectFrom('oauth_clients')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('identifier', '=', identifier)
    .executeTakeFirst();
}

export async function updateClient(
  db: Queryable,
  accountId: number,
  id: number,
  changes: Partial<Pick<OauthClientRow, 'name' | 'identifier' | 'redirect_uris' | 'secret_hash' | 'updated_at' | 'secret_set_at'>>,
): Promise<void> {
  await db.updateTable('oauth_clients').set(changes).where('account_id', '=', accountId).where('id', '=', id).execute();
}

/** Deletes a client and its pending authorization codes; returns whether it existed. */
export async function deleteClient(db: Queryable, accountId: number, id: number): Promise<boolean> {
  await db.deleteFrom('oauth_codes').where('account_id', '=', accountId).where('client_id', '=', id).execute();
  const result = await db.deleteFrom('oauth_clients').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A unique-constraint violation, on either backend (PostgreSQL 23505, SQLite's constraint code). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = error.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The account's confidential clients whose secret was set before `cutoff`, oldest secret first. */
export async function listClientsWithSecretSetBefore(db: Queryable, accountId: number, cutoff: string): Promise<OauthClientRow[]> {
  return db
    .selectFrom('oauth_clients')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('secret_hash', 'is not', null)
    .where('secret_set_at', '<', cutoff)
    .orderBy('secret_set_at')
    .orderBy('id')
    .execute();
}
