/**
 * The account owner is protected: only the owner changes the owner's email,
 * role, password or active state, proven by their own session or password;
 * nobody deletes the owner, whom the account knows by user id (so renaming
 * the owner first changes nothing), and staff cannot suspend the owner.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIdentityGeneration } from '../../src/db/identity-changes.js';
import type { Account, User } from '../../src/db/schema.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import type { ImportedAccount, ImportedUser } from '../../src/modules/population/import-lines.parser.js';
import { writePopulation } from '../../src/modules/population/population.writer.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import {
  apiTokenAuthorization,
  hostOf,
  insertPasswordCredential,
  insertUser,
  signIn,
  type TestSession,
} from '../support/identity-fixtures.js';
import { createTestStaff, staffSignIn } from '../support/staff-fixtures.js';
import { IN_ORDER } from '../support/in-order.js';

const OWNER_PASSWORD = 'Cobalt-Willow-Lighthouse-19';

describe.each(backends)('the account owner on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let acme: Account;
  let owner: User;
  let ada: TestSession;

  const ownerRow = () => database.db.selectFrom('users').selectAll().where('id', '=', owner.id).executeTakeFirstOrThrow();
  const ownerHash = async () =>
    (await database.db.selectFrom('password_credentials').select('password_hash').where('user_id', '=', owner.id).executeTakeFirstOrThrow())
      .password_hash;
  const changeOwner = (headers: Record<string, string>, user: Record<string, unknown>) =>
    app.inject({ method: 'PUT', url: `/api/v2/users/${owner.id}.json`, headers, payload: { user } });
  const expectOwnerOnly = (response: LightMyRequestResponse, what: string) => {
    expect(response.statusCode, `${what}: ${response.body}`).toBe(403);
    expect(response.json<{ description: string }>().description, what).toContain('Only the account owner can make this change');
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    acme = await insertAccount(database.db, 'acme');
    owner = await insertUser(database.db, acme, 'owner@acme.test', { role: 'admin', name: 'Olive' });
    await insertPasswordCredential(database.db, owner, { password_hash: await hashPassword(OWNER_PASSWORD) });
    ada = await signIn(deps, acme, await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it("refuses another admin's change to the owner's email, role, password, active state or SSO, and the owner's deletion", async () => {
    const hashBefore = await ownerHash();
    expectOwnerOnly(await changeOwner(ada.headers, { role: 'agent' }), 'demote');
    expectOwnerOnly(await changeOwner(ada.headers, { email: 'ada-owns@acme.test' }), 'rename');
    expectOwnerOnly(await changeOwner(ada.headers, { active: false }), 'suspend');
    expectOwnerOnly(await changeOwner(ada.headers, { sso: true }), 'make SSO-only');
    const password = {
      method: 'POST' as const,
      url: `/api/v2/users/${owner.id}/password.json`,
      payload: { password: 'Taken-Over-Account-88' },
    };
    expectOwnerOnly(await app.inject({ ...password, headers: ada.headers }), 'set password');
    expectOwnerOnly(await app.inject({ method: 'DELETE', url: `/api/v2/users/${owner.id}.json`, headers: ada.headers }), 'delete');
    // Other fields stay an admin's to change.
    expect((await changeOwner(ada.headers, { phone: '+33 1 00 00 00 00' })).statusCode).toBe(200);
    expect(await ownerRow()).toMatchObject({ email: 'owner@acme.test', role: 'admin', active: 1, sso: 0 });
    expect(await ownerHash()).toBe(hashBefore);
  });

  it('lets the owner change their own email with their session, not with an API token; renamed, they stay the owner', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: ada.headers,
      payload: { api_token: { description: 'CI' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    // An account API token names any agent by email: it does not prove the owner is acting.
    const asOwnerByToken = {
      host: hostOf(acme),
      authorization: apiTokenAuthorization(owner.email, created.json<{ api_token: { token: string } }>().api_token.token),
    };
    expectOwnerOnly(await changeOwner(asOwnerByToken, { email: 'token@acme.test' }), 'API token');

    const own = await signIn(deps, acme, owner);
    const renamed = await changeOwner(own.headers, { email: 'olive@acme.test' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect((await ownerRow()).email).toBe('olive@acme.test');
    // The account still knows its owner by id, not by the address it was created with.
    expectOwnerOnly(
      await app.inject({ method: 'DELETE', url: `/api/v2/users/${owner.id}.json`, headers: ada.headers }),
      'delete after rename',
    );
    expectOwnerOnly(await changeOwner(ada.headers, { role: 'end-user' }), 'demote after rename');
  });

  it('refuses staff suspension of the owner, even under a grant', async () => {
    const grant = await app.inject({
      method: 'POST',
      url: '/api/v2/staff_access/grants.json',
      headers: ada.headers,
      payload: { grant: { duration: 'day' } },
    });
    expect(grant.statusCode, grant.body).toBe(201);
    const staff = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'sam@vendor.test', 'support'));
    const suspended = await app.inject({ method: 'POST', url: `/ops/v1/accounts/acme/users/${owner.id}/suspend`, headers: staff.headers });
    expectOwnerOnly(suspended, 'staff suspend');
    expect((await ownerRow()).active).toBe(1);
  });

  it('links the owner by user id when a population is imported, whatever the case of the owner email', async () => {
    const account: ImportedAccount = {
      subdomain: 'initech',
      name: 'Initech',
      status: 'active',
      activated_at: '2015-01-01T00:00:00.000Z',
      products: ['support'],
      owner_email: 'Bill@Initech.test',
      host_mapping: null,
      locale: 'en',
      security_contact_email: null,
    };
    const user = (email: string, realm: 'core' | 'sell' = 'core'): ImportedUser => ({
      account: 'initech',
      realm,
      role: 'admin',
      name: email,
      email,
      phone: null,
      locale: null,
      created_at: '2015-01-01T00:00:00.000Z',
      password_hash: null,
      password_changed_at: null,
      sso: false,
      active: true,
      products: realm === 'core' ? ['support'] : ['sell'],
    });
    await writePopulation(
      database,
      [
        { kind: 'account', account },
        { kind: 'user', user: user('peter@initech.test') },
        { kind: 'user', user: user('bill@initech.test', 'sell') },
        { kind: 'user', user: user('bill@initech.test') },
        { kind: 'boundary' },
      ],
      { clock: deps.clock, keyring: deps.keyring, actor: { type: 'cli', id: 'test' }, source: 'import' },
    );
    const bill = await database.db
      .selectFrom('users')
      .innerJoin('accounts', 'accounts.id', 'users.account_id')
      .select('users.id')
      .where('accounts.subdomain', '=', 'initech')
      .where('users.realm', '=', 'core')
      .where('users.email', '=', 'bill@initech.test')
      .executeTakeFirstOrThrow();
    const row = await database.db
      .selectFrom('accounts')
      .select('owner_user_id')
      .where('subdomain', '=', 'initech')
      .executeTakeFirstOrThrow();
    expect(row.owner_user_id).toBe(Number(bill.id));
  });

  it('creates a user without moving the identity generation when there is no owner to link', async () => {
    // PostgreSQL runs the identity triggers once per statement, even one that changes no row: the link must not run then.
    const before = await readIdentityGeneration(database.db);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/users.json',
      headers: ada.headers,
      payload: { user: { name: 'Bea', email: 'bea@acme.test', role: 'agent' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(await readIdentityGeneration(database.db)).toBe(before);
  });
});
