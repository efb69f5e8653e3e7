import type { Db } from '../../src/db/database.js';
import type { Account } from '../../src/db/schema.js';
import { reserveIds } from '../../src/db/sequences.js';
import { productsToMask } from '../../src/platform/products.js';

/** Inserts an account directly, for tests that need one to exist. */
export async function insertAccount(db: Db, subdomain: string, overrides: Partial<Account> = {}): Promise<Account> {
  const id = await reserveIds(db, 'accounts', 1);
  const now = '2020-01-01T00:00:00.000Z';
  const account: Account = {
    id,
    subdomain,
    name: subdomain,
    status: 'active',
    activated_at: '2015-01-01T00:00:00.000Z',
    host_mapping: null,
    owner_email: `owner@${subdomain}.test`,
    security_contact_email: null,
    locale: 'en',
    products_mask: productsToMask(['support', 'chat']),
    password_api_access: 1,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
  await db.insertInto('accounts').values(account).execute();
  return account;
}
