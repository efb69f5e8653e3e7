import type { Queryable } from '../../db/database.js';
import type { Account } from '../../db/schema.js';

export async function findAccountBySubdomain(db: Queryable, subdomain: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('subdomain', '=', subdomain).executeTakeFirst();
}

export async function findAccountByHostMapping(db: Queryable, host: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('host_mapping', '=', host).executeTakeFirst();
}

export async function findAccountById(db: Queryable, id: number): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}
