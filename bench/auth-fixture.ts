/**
 * The population `bench:auth` signs in with: `acme`, with one admin with a
 * password, an API token and a second token since deleted; `beta`, a second
 * account whose admin the flood guesses at with `email:password`.
 */
import { openRuntime } from '../src/main.js';
import type { Principal } from '../src/modules/accounts/principal.js';
import { createApiToken, deleteApiToken } from '../src/modules/auth/api-tokens/api-tokens.service.js';
import { hashPassword } from '../src/modules/auth/passwords/password-hashing.js';
import { reserveIds } from '../src/db/sequences.js';
import { productsToMask } from '../src/platform/products.js';

const PASSWORD = 'Bench-Lighthouse-Password-42';

export interface AuthBenchPopulation {
  token: string;
  /** A token of acme's admin that was deleted: what an integration keeps sending after a revocation. */
  deletedToken: string;
  signInBody: string;
  /** The second account's host and admin, for the `email:password` flood. */
  floodHost: string;
  floodEmail: string;
}

type Runtime = Awaited<ReturnType<typeof openRuntime>>;

async function insertAccountWithAdmin(runtime: Runtime, subdomain: string, email: string) {
  const now = '2020-01-01T00:00:00.000Z';
  const accountId = await reserveIds(runtime.db, 'accounts', 1);
  const account = {
    id: accountId,
    subdomain,
    name: subdomain,
    status: 'active' as const,
    activated_at: now,
    host_mapping: null,
    owner_email: `owner@${subdomain}.test`,
    owner_user_id: null,
    security_contact_email: null,
    locale: 'en',
    products_mask: productsToMask(['support', 'chat']),
    password_api_access: 1 as const,
    created_at: now,
    updated_at: now,
  };
  await runtime.db.insertInto('accounts').values(account).execute();
  const user = {
    account_id: accountId,
    id: await reserveIds(runtime.db, 'users', 1),
    realm: 'core',
    role: 'admin' as const,
    name: 'Ada',
    email,
    phone: null,
    locale: null,
    active: 1 as const,
    sso: 0 as const,
    products_mask: account.products_mask,
    created_at: now,
    updated_at: now,
    last_login_at: null,
    external_id: null,
  };
  await runtime.db.insertInto('users').values(user).execute();
  await runtime.db
    .insertInto('password_credentials')
    .values({
      account_id: accountId,
      user_id: user.id,
      password_hash: await hashPassword(PASSWORD),
      password_changed_at: now,
      must_change: 0,
      must_change_reason: null,
      must_change_incident_id: null,
    })
    .execute();
  return { account, user };
}

export async function prepareAuthBench(dataDir: string): Promise<AuthBenchPopulation> {
  const runtime = await openRuntime({ dataDir, logLevel: 'silent' });
  try {
    const { account, user } = await insertAccountWithAdmin(runtime, 'acme', 'ada@acme.test');
    const flooded = await insertAccountWithAdmin(runtime, 'beta', 'bob@beta.test');
    const principal: Principal = { account, user, via: 'session', scopes: new Set(['read', 'write']), credentialId: null };
    const { token } = await createApiToken(runtime, principal, { description: 'bench' });
    const deleted = await createApiToken(runtime, principal, { description: 'bench, deleted' });
    await deleteApiToken(runtime, principal, Number(deleted.row.id));
    return {
      token,
      deletedToken: deleted.token,
      signInBody: JSON.stringify({ email: user.email, password: PASSWORD }),
      floodHost: `${flooded.account.subdomain}.localhost`,
      floodEmail: flooded.user.email,
    };
  } finally {
    await runtime.close();
  }
}
