/**
 * DESIGN.md's "How credentials behave" table, cell by cell: each channel for
 * a user in good standing, a user whose password change is pending, and an
 * SSO-only user.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { revokeUserSessions } from '../../src/modules/auth/sessions/sessions.service.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';

const PASSWORD = 'Tangerine-Lighthouse-42';
const NEW_PASSWORD = 'Quiet-Harbour-Morning-77';
const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

describe.each(backends)('credential channels on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let deps: ReturnType<typeof testDeps>;
  let acme: Account;
  let globex: Account;
  const users: Record<'normal' | 'pending' | 'sso' | 'admin', User> = {} as never;
  let apiToken: string;
  const bearer: Partial<Record<'normal' | 'pending' | 'sso', string>> = {};
  let adminSession: TestSession;

  const me = (headers: Record<string, string>) => app.inject({ url: '/api/v2/users/me.json', headers: { host: hostOf(acme), ...headers } });
  const signInAs = (email: string, password: string) =>
    app.inject({ method: 'POST', url: '/access/sign_in', headers: { host: hostOf(acme) }, payload: { email, password } });

  async function givePassword(user: User, mustChange: boolean): Promise<void> {
    await database.db
      .insertInto('password_credentials')
      .values({
        account_id: user.account_id,
        user_id: user.id,
        password_hash: await hashPassword(PASSWORD),
        password_changed_at: '2015-06-01T00:00:00.000Z',
        must_change: mustChange ? 1 : 0,
        must_change_reason: mustChange ? 'incident' : null,
        must_change_incident_id: null,
      })
      .execute();
  }

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    users.normal = await insertUser(database.db, acme, 'nora@acme.test');
    users.pending = await insertUser(database.db, acme, 'pat@acme.test');
    users.sso = await insertUser(database.db, acme, 'sam@acme.test', { sso: 1 });
    users.admin = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' });
    await givePassword(users.normal, false);
    await givePassword(users.pending, true);
    await givePassword(users.admin, false);

    adminSession = await signIn(deps, acme, users.admin);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: adminSession.headers,
      payload: { api_token: { description: 'table' } },
    });
    expect(created.statusCode).toBe(201);
    apiToken = created.json<{ api_token: { token: string } }>().api_token.token;

    const client = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: adminSession.headers,
      payload: { client: { name: 'Table', identifier: 'table', redirect_uri: ['https://app.test/callback'], kind: 'confidential' } },
    });
    expect(client.statusCode).toBe(201);
    const clientId = client.json<{ client: { id: number } }>().client.id;
    for (const kind of ['normal', 'pending', 'sso'] as const) {
      const token = await app.inject({
        method: 'POST',
        url: '/api/v2/oauth/tokens.json',
        headers: adminSession.headers,
        payload: { token: { client_id: clientId, user_id: users[kind].id, scopes: ['read', 'write'] } },
      });
      expect(token.statusCode).toBe(201);
      bearer[kind] = token.json<{ token: { token: string } }>().token.token;
    }
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  describe('web sign-in with password', () => {
    it('normal: a session cookie, HttpOnly and SameSite', async () => {
      const response = await signInAs('nora@acme.test', PASSWORD);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        status: 'signed_in',
        user: { email: 'nora@acme.test' },
        authenticity_token: expect.any(String),
      });
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toMatch(/^riposte_session=[\w-]{40,};/);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
    });

    it('rotation pending: no session, a change step; the new password must pass policy and differ from the old', async () => {
      const response = await signInAs('pat@acme.test', PASSWORD);
      expect(response.statusCode).toBe(200);
      expect(response.headers['set-cookie']).toBeUndefined();
      const step = response.json<{ status: string; change_token: string }>();
      expect(step.status).toBe('password_change_required');
      const change = (password: string) =>
        app.inject({
          method: 'POST',
          url: '/access/password_change',
          headers: { host: hostOf(acme) },
          payload: { change_token: step.change_token, password },
        });

      const reused = await change(PASSWORD);
      expect(reused.statusCode).toBe(422);
      expect(reused.json()).toMatchObject({
        error: 'PasswordPolicyViolation',
        details: { password: [expect.objectContaining({ rule: 'reused' })] },
      });
      const short = await change('x7#Qv');
      expect(short.json()).toMatchObject({ details: { password: [expect.objectContaining({ rule: 'min_length' })] } });

      const accepted = await change(NEW_PASSWORD);
      expect(accepted.statusCode).toBe(200);
      expect(String(accepted.headers['set-cookie'])).toContain('riposte_session=');
      expect((await change('Another-Fine-Password-99')).statusCode).toBe(401);

      expect((await signInAs('pat@acme.test', NEW_PASSWORD)).json()).toMatchObject({ status: 'signed_in' });
      const credential = await database.db
        .selectFrom('password_credentials')
        .selectAll()
        .where('user_id', '=', users.pending.id)
        .executeTakeFirstOrThrow();
      expect(credential.must_change).toBe(0);
      // Restore the pending state for the other channels' cells.
      await database.db
        .updateTable('password_credentials')
        .set({ must_change: 1, password_hash: await hashPassword(PASSWORD) })
        .where('user_id', '=', users.pending.id)
        .execute();
    });

    it('SSO-only: refused, with the same answer as a wrong password', async () => {
      const sso = await signInAs('sam@acme.test', PASSWORD);
      const wrong = await signInAs('nora@acme.test', 'not-the-password-at-all');
      expect(sso.statusCode).toBe(401);
      expect(sso.json()).toEqual(wrong.json());
      expect(sso.json<{ description: string }>().description).toContain('single sign-on');
    });
  });

  describe('API basic auth email:password', () => {
    it('normal: allowed where the account allows password access', async () => {
      const response = await me({ authorization: basic('nora@acme.test', PASSWORD) });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: { email: 'nora@acme.test' } });
    });

    it('normal: refused once an admin turns password access off, allowed again when turned on', async () => {
      const turn = (allowed: boolean) =>
        app.inject({
          method: 'PUT',
          url: '/api/v2/account/settings.json',
          headers: adminSession.headers,
          payload: { settings: { api: { api_password_access: allowed } } },
        });
      expect((await turn(false)).json()).toEqual({ settings: { api: { api_password_access: false, api_token_access: true } } });
      // A fresh app: the Host-to-account cache of the first holds the account for a few seconds.
      const fresh = await buildTestApp(deps);
      try {
        const response = await fresh.inject({
          url: '/api/v2/users/me.json',
          headers: { host: hostOf(acme), authorization: basic('nora@acme.test', PASSWORD) },
        });
        expect(response.statusCode).toBe(401);
        expect(response.json()).toMatchObject({ error: 'PasswordAccessDisabled' });
        const byToken = await fresh.inject({
          url: '/api/v2/users/me.json',
          headers: { host: hostOf(acme), authorization: apiTokenAuthorization('nora@acme.test', apiToken) },
        });
        expect(byToken.statusCode).toBe(200);
      } finally {
        await fresh.close();
        await turn(true);
      }
    });

    it('rotation pending: 401 PasswordChangeRequired, telling how to change it', async () => {
      const response = await me({ authorization: basic('pat@acme.test', PASSWORD) });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: 'PasswordChangeRequired', description: expect.stringContaining('/access/sign_in') });
    });

    it('rotation pending, wrong password: the generic refusal, so the state is not revealed', async () => {
      const response = await me({ authorization: basic('pat@acme.test', 'wrong-password-guess') });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: 'InvalidCredentials' });
    });

    it('SSO-only: refused', async () => {
      const response = await me({ authorization: basic('sam@acme.test', PASSWORD) });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: 'InvalidCredentials' });
    });
  });

  describe.each(['normal', 'pending', 'sso'] as const)('tokens for a %s user', (kind) => {
    it('API token email/token:TOKEN is unaffected', async () => {
      const response = await me({ authorization: apiTokenAuthorization(users[kind].email, apiToken) });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: { id: users[kind].id } });
    });

    it('Bearer OAuth token is unaffected', async () => {
      const response = await me({ authorization: `Bearer ${bearer[kind]}` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: { id: users[kind].id } });
    });

    it("is refused on another account's host", async () => {
      const apiCall = await app.inject({
        url: '/api/v2/users/me.json',
        headers: { host: hostOf(globex), authorization: apiTokenAuthorization(users[kind].email, apiToken) },
      });
      const oauthCall = await app.inject({
        url: '/api/v2/users/me.json',
        headers: { host: hostOf(globex), authorization: `Bearer ${bearer[kind]}` },
      });
      expect(apiCall.statusCode).toBe(401);
      expect(oauthCall.statusCode).toBe(401);
    });
  });

  describe('existing web sessions', () => {
    it('normal: valid', async () => {
      const session = await signIn(deps, acme, users.normal);
      expect((await me({ cookie: session.cookie })).statusCode).toBe(200);
    });

    it('rotation pending: valid until revoked, and revoked when the campaign says so', async () => {
      const session = await signIn(deps, acme, users.pending);
      expect((await me({ cookie: session.cookie })).statusCode).toBe(200);
      await revokeUserSessions(deps, { account: acme, user: users.pending, actor: null, reason: 'rotation_campaign' });
      expect((await me({ cookie: session.cookie })).statusCode).toBe(401);
    });

    it("a session cookie is refused on another account's host", async () => {
      const session = await signIn(deps, acme, users.normal);
      const response = await app.inject({ url: '/api/v2/users/me.json', headers: { host: hostOf(globex), cookie: session.cookie } });
      expect(response.statusCode).toBe(401);
    });
  });
});
