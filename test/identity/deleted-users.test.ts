/**
 * Deleted users stay deleted: nothing reinstates one (staff unsuspend, an
 * admin's PUT, SSO), and every channel of authentication refuses one by its
 * deletion marker, even where its `active` flag was set back (as a staff
 * unsuspend used to leave it).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { issueTokenPair } from '../../src/modules/auth/oauth/oauth-tokens.service.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { requestPasswordReset } from '../../src/modules/auth/sessions/sign-in.service.js';
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
import { mintJwt } from '../support/sso-fixtures.js';
import { createTestStaff, staffSignIn } from '../support/staff-fixtures.js';

const PASSWORD = 'Quartz-Lantern-Harbour-62';
const JWT_SECRET = 'acme-shared-secret-0123456789-abcdefghijklmnop';

describe.each(backends)('deleted users on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let acme: Account;
  let admin: TestSession;
  let dee: User;
  let apiToken: string;

  const host = () => hostOf(acme);
  const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  const me = (headers: Record<string, string>): Promise<LightMyRequestResponse> =>
    app.inject({ url: '/api/v2/users/me.json', headers: { host: host(), ...headers } });
  const activeFlag = async (userId: number): Promise<number> =>
    Number((await database.db.selectFrom('users').select('active').where('id', '=', userId).executeTakeFirstOrThrow()).active);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    acme = await insertAccount(database.db, 'acme');
    admin = await signIn(deps, acme, await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' }));
    dee = await insertUser(database.db, acme, 'dee@acme.test', { role: 'agent' });
    await insertPasswordCredential(database.db, dee, { password_hash: await hashPassword(PASSWORD) });
    const token = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: admin.headers,
      payload: { api_token: { description: 'CI' } },
    });
    expect(token.statusCode, token.body).toBe(201);
    apiToken = token.json<{ api_token: { token: string } }>().api_token.token;
    const sso = await app.inject({
      method: 'PUT',
      url: '/api/v2/account/sso.json',
      headers: admin.headers,
      payload: { sso: { jwt: { enabled: true, shared_secret: JWT_SECRET, remote_login_url: 'https://idp.example.test/login' } } },
    });
    expect(sso.statusCode, sso.body).toBe(200);
    // Every channel works for Dee before she is deleted.
    expect((await me({ authorization: apiTokenAuthorization(dee.email, apiToken) })).statusCode).toBe(200);
    expect((await me({ authorization: basic(dee.email, PASSWORD) })).statusCode).toBe(200);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/v2/users/${dee.id}.json`, headers: admin.headers });
    expect(deleted.statusCode, deleted.body).toBe(200);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('lets neither staff nor an admin reinstate a deleted user', async () => {
    const grant = await app.inject({
      method: 'POST',
      url: '/api/v2/staff_access/grants.json',
      headers: admin.headers,
      payload: { grant: { duration: 'day' } },
    });
    expect(grant.statusCode, grant.body).toBe(201);
    const staff = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'sam@vendor.test', 'support'));
    for (const verb of ['unsuspend', 'suspend']) {
      const response = await app.inject({ method: 'POST', url: `/ops/v1/accounts/acme/users/${dee.id}/${verb}`, headers: staff.headers });
      expect(response.statusCode, `${verb}: ${response.body}`).toBe(422);
      expect(response.json<{ description: string }>().description).toContain('was deleted');
    }
    const byAdmin = await app.inject({
      method: 'PUT',
      url: `/api/v2/users/${dee.id}.json`,
      headers: admin.headers,
      payload: { user: { active: true } },
    });
    expect(byAdmin.statusCode, byAdmin.body).toBe(422);
    const password = await app.inject({
      method: 'POST',
      url: `/api/v2/users/${dee.id}/password.json`,
      headers: admin.headers,
      payload: { password: 'Fresh-Granite-Meadow-77' },
    });
    expect(password.statusCode, password.body).toBe(422);
    expect(await activeFlag(dee.id)).toBe(0);
    const listed = await app.inject({ url: '/api/v2/users.json', headers: admin.headers });
    expect(listed.json<{ users: Array<{ id: number }> }>().users.map((user) => user.id)).not.toContain(dee.id);
  });

  it('refuses a deleted user on every channel by the deletion marker, even with her active flag set back', async () => {
    // The state a staff unsuspend left a deleted user in before deletion was made final.
    await database.db.updateTable('users').set({ active: 1 }).where('id', '=', dee.id).execute();
    const client = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: admin.headers,
      payload: { client: { name: 'Reports', identifier: 'reports', redirect_uri: ['https://app.example/callback'] } },
    });
    expect(client.statusCode, client.body).toBe(201);
    const oauth = await issueTokenPair(database.db, deps.clock.now(), {
      accountId: acme.id,
      clientId: client.json<{ client: { id: number } }>().client.id,
      userId: dee.id,
      scopes: ['read', 'write'],
    });
    const session = await signIn(deps, acme, dee);

    expect((await me({ cookie: session.cookie })).statusCode, 'session').toBe(401);
    expect((await me({ authorization: apiTokenAuthorization(dee.email, apiToken) })).statusCode, 'API token').toBe(401);
    expect((await me({ authorization: `Bearer ${oauth.accessToken}` })).statusCode, 'OAuth token').toBe(401);
    expect((await me({ authorization: basic(dee.email, PASSWORD) })).statusCode, 'password Basic').toBe(401);
    const web = await app.inject({
      method: 'POST',
      url: '/access/sign_in',
      headers: { host: host() },
      payload: { email: dee.email, password: PASSWORD },
    });
    expect(web.statusCode, 'web sign-in').toBe(401);
    const jwt = await mintJwt(JWT_SECRET, { jti: 'dee-1', email: dee.email }, { issuedAt: deps.clock.now() });
    const sso = await app.inject({ url: `/access/jwt?jwt=${encodeURIComponent(jwt)}`, headers: { host: host() } });
    expect(sso.statusCode, 'JWT SSO').toBe(403);
    expect(sso.headers['set-cookie']).toBeUndefined();

    await requestPasswordReset(deps, { account: acme, realm: 'core', email: dee.email, resetPageUrl: 'http://acme.localhost/reset' });
    const links = await database.db.selectFrom('password_change_steps').select('id').where('user_id', '=', dee.id).execute();
    expect(links).toEqual([]);
  });
});
