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
    owner_user_id: null,
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

/**
 * Inserts an active certificate for `hostname`, uploaded (and activated) at
 * `uploadedAt`, for tests that need one to exist. The PEM and the sealed key
 * are placeholders: these tests never read them.
 */
export async function insertCertificate(db: Db, account: Account, id: number, hostname: string, uploadedAt: string): Promise<void> {
  await db
    .insertInto('certificates')
    .values({
      account_id: account.id,
      id,
      state: 'active',
      hostnames: JSON.stringify([hostname]),
      subject: `CN=${hostname}`,
      issuer: 'CN=Test CA',
      serial_number: String(id),
      not_before: uploadedAt,
      not_after: '2030-01-01T00:00:00.000Z',
      fingerprint_sha256: 'AB:CD',
      key_algorithm: 'rsa',
      key_bits: 2048,
      key_curve: null,
      certificate_pem: 'not read here',
      private_key_sealed: 'not read here',
      source: 'import',
      uploaded_by: null,
      uploaded_at: uploadedAt,
      activated_at: uploadedAt,
      superseded_at: null,
      superseded_by: null,
      revoked_at: null,
      revoked_by: null,
    })
    .execute();
}
