import { chunks, insertRows, rowsPerStatement, type BulkWriteTarget } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { Account, AccountsTable, NewAccount } from '../../db/schema.js';

export async function findAccountBySubdomain(db: Queryable, subdomain: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('subdomain', '=', subdomain).executeTakeFirst();
}

export async function findAccountByHostMapping(db: Queryable, host: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('host_mapping', '=', host).executeTakeFirst();
}

export async function findAccountById(db: Queryable, id: number): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Accounts take their ids from this sequence (`reserveIds`). */
export const ACCOUNT_ID_SEQUENCE = 'accounts';

/** The ids of those of `subdomains` that exist, in batches under the parameter limit. */
export async function findAccountIdsBySubdomains(
  db: Queryable,
  subdomains: readonly string[],
  maxParameters: number,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const batch of chunks(subdomains, rowsPerStatement(1, maxParameters))) {
    const rows = await db.selectFrom('accounts').select(['id', 'subdomain']).where('subdomain', 'in', batch).execute();
    for (const row of rows) found.set(row.subdomain, Number(row.id));
  }
  return found;
}

/** Which of `hosts` are mapped already, and to which subdomain. */
export async function findSubdomainsByHostMappings(
  db: Queryable,
  hosts: readonly string[],
  maxParameters: number,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const batch of chunks(hosts, rowsPerStatement(1, maxParameters))) {
    const rows = await db.selectFrom('accounts').select(['host_mapping', 'subdomain']).where('host_mapping', 'in', batch).execute();
    for (const row of rows) if (row.host_mapping !== null) found.set(row.host_mapping, row.subdomain);
  }
  return found;
}

const ACCOUNT_COLUMNS = [
  'id',
  'subdomain',
  'name',
  'status',
  'activated_at',
  'host_mapping',
  'owner_email',
  'owner_user_id',
  'security_contact_email',
  'locale',
  'products_mask',
  'password_api_access',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof NewAccount>;

// A column added by a later migration must be added to the list above: this fails to compile until it is.
const everyAccountColumn: Record<Exclude<keyof AccountsTable, (typeof ACCOUNT_COLUMNS)[number]>, never> = {};
void everyAccountColumn;

/** Inserts accounts (`insertRows`); the caller owns the transaction and the ids. */
export async function insertAccounts(target: BulkWriteTarget, rows: readonly Required<NewAccount>[]): Promise<void> {
  await insertRows(target, 'accounts', ACCOUNT_COLUMNS, rows);
}

export async function countAccounts(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function setPasswordApiAccess(db: Queryable, accountId: number, allowed: boolean, at: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ password_api_access: allowed ? 1 : 0, updated_at: at })
    .where('id', '=', accountId)
    .execute();
}

/** Erasure: an account whose security contact was this person has none until an admin names another. */
export async function forgetSecurityContact(db: Queryable, accountId: number, email: string, now: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ security_contact_email: null, updated_at: now })
    .where('id', '=', accountId)
    .where((eb) => eb(eb.fn('lower', ['security_contact_email']), '=', email))
    .execute();
}

/** Writes an account's status, activation date and products; returns the row as it now is. */
export function updateAccountLifecycle(
  db: Queryable,
  accountId: number,
  changes: Pick<Account, 'status' | 'activated_at' | 'products_mask' | 'updated_at'>,
): Promise<Account> {
  return db.updateTable('accounts').set(changes).where('id', '=', accountId).returningAll().executeTakeFirstOrThrow();
}
