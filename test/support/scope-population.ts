import type { Db } from '../../src/db/database.js';
import type { Account, User } from '../../src/db/schema.js';
import { SEED_ROTATION_SELECTOR } from '../../src/modules/incidents/sample-incident.js';
import { productsToMask } from '../../src/platform/products.js';
import { insertAccount } from './fixtures.js';
import { insertUser } from './identity-fixtures.js';

export const SCOPE_CUTOFF = '2016-11-01T00:00:00.000Z';

/** DESIGN.md's seed selector: who must change their password after the 2016 breach. */
export const SEED_SELECTOR = SEED_ROTATION_SELECTOR;

export interface ScopePopulation {
  accounts: Record<'acme' | 'beta' | 'gamma' | 'delta' | 'trialco' | 'sellco', Account>;
  users: Record<string, User>;
}

async function person(
  db: Db,
  account: Account,
  name: string,
  options: { role: User['role']; createdAt: string; passwordAt: string | null; sso?: boolean; realm?: string; products?: string[] },
): Promise<User> {
  const user = await insertUser(db, account, `${name}@${account.subdomain}.test`, {
    role: options.role,
    created_at: options.createdAt,
    sso: options.sso === true ? 1 : 0,
    realm: options.realm ?? 'core',
    products_mask: productsToMask(options.products ?? ['support', 'chat']),
  });
  if (options.passwordAt !== null) {
    await db
      .insertInto('password_credentials')
      .values({
        account_id: account.id,
        user_id: user.id,
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
        password_changed_at: options.passwordAt,
        must_change: 0,
        must_change_reason: null,
        must_change_incident_id: null,
      })
      .execute();
  }
  return user;
}

async function installation(db: Db, account: Account, id: number, createdAt: string, secretSetAt: string): Promise<void> {
  await db
    .insertInto('app_installations')
    .values({
      account_id: account.id,
      id,
      app_id: 1,
      product: 'support',
      settings: '{}',
      enabled: 1,
      created_by: null,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .execute();
  await db
    .insertInto('installation_secrets')
    .values({ account_id: account.id, installation_id: id, field: 'api_token', sealed: 'sealed', set_at: secretSetAt })
    .execute();
}

/**
 * Every case the scope must tell apart, cutoff 2016-11-01. The seed selector
 * matches exactly ana and dana (acme), ivy (gamma) and jon (delta).
 *
 * - acme, active since 2015: ana (agent, matched), bob (admin who changed his
 *   password after the cutoff), carl (SSO agent), dana (end user of 2015,
 *   matched), eve (end user created 2017), fay (agent created 2017), gus
 *   (agent without a password); installations: one with a stale secret, one rotated in 2017.
 * - beta, activated 2018: hal (agent, old password).
 * - gamma, expired trial activated 2016-01: ivy (agent, matched).
 * - delta, inactive since 2014: jon (end user, matched).
 * - trialco, a trial never activated: kim (agent).
 * - sellco, Sell only, 2015: lou (Sell realm agent); one stale installation.
 */
export async function buildScopePopulation(db: Db): Promise<ScopePopulation> {
  const accounts = {
    acme: await insertAccount(db, 'acme', { activated_at: '2015-03-02T00:00:00.000Z' }),
    beta: await insertAccount(db, 'beta', { activated_at: '2018-01-01T00:00:00.000Z' }),
    gamma: await insertAccount(db, 'gamma', { status: 'trial_expired', activated_at: '2016-01-01T00:00:00.000Z' }),
    delta: await insertAccount(db, 'delta', { status: 'inactive', activated_at: '2014-01-01T00:00:00.000Z' }),
    trialco: await insertAccount(db, 'trialco', { status: 'trial', activated_at: null }),
    sellco: await insertAccount(db, 'sellco', { activated_at: '2015-06-01T00:00:00.000Z', products_mask: productsToMask(['sell']) }),
  };
  const old = '2014-01-10T00:00:00.000Z';
  const users: Record<string, User> = {
    ana: await person(db, accounts.acme, 'ana', { role: 'agent', createdAt: old, passwordAt: '2015-02-01T00:00:00.000Z' }),
    bob: await person(db, accounts.acme, 'bob', { role: 'admin', createdAt: old, passwordAt: '2016-12-01T00:00:00.000Z' }),
    carl: await person(db, accounts.acme, 'carl', { role: 'agent', createdAt: old, passwordAt: '2015-02-01T00:00:00.000Z', sso: true }),
    dana: await person(db, accounts.acme, 'dana', {
      role: 'end-user',
      createdAt: '2015-05-01T00:00:00.000Z',
      passwordAt: '2015-05-01T00:00:00.000Z',
      products: ['support'],
    }),
    eve: await person(db, accounts.acme, 'eve', {
      role: 'end-user',
      createdAt: '2017-01-01T00:00:00.000Z',
      passwordAt: '2017-01-01T00:00:00.000Z',
      products: ['support'],
    }),
    fay: await person(db, accounts.acme, 'fay', {
      role: 'agent',
      createdAt: '2017-02-01T00:00:00.000Z',
      passwordAt: '2017-02-01T00:00:00.000Z',
    }),
    gus: await person(db, accounts.acme, 'gus', { role: 'agent', createdAt: old, passwordAt: null }),
    hal: await person(db, accounts.beta, 'hal', { role: 'agent', createdAt: old, passwordAt: '2015-02-01T00:00:00.000Z' }),
    ivy: await person(db, accounts.gamma, 'ivy', {
      role: 'agent',
      createdAt: '2015-01-01T00:00:00.000Z',
      passwordAt: '2015-01-01T00:00:00.000Z',
    }),
    jon: await person(db, accounts.delta, 'jon', { role: 'end-user', createdAt: old, passwordAt: old, products: ['support'] }),
    kim: await person(db, accounts.trialco, 'kim', { role: 'agent', createdAt: old, passwordAt: old }),
    lou: await person(db, accounts.sellco, 'lou', { role: 'agent', createdAt: old, passwordAt: old, realm: 'sell', products: ['sell'] }),
  };
  await installation(db, accounts.acme, 1, '2016-02-01T00:00:00.000Z', '2016-02-01T00:00:00.000Z');
  await installation(db, accounts.acme, 2, '2016-03-01T00:00:00.000Z', '2017-01-01T00:00:00.000Z');
  await installation(db, accounts.sellco, 3, '2015-07-01T00:00:00.000Z', '2015-07-01T00:00:00.000Z');
  return { accounts, users };
}
