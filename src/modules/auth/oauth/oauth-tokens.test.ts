import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../../db/schema.js';
import type { FixedClock } from '../../../platform/clock.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { hostOf, insertPendingPasswordChange, insertUser, signIn, type TestSession } from '../../../../test/support/identity-fixtures.js';
import { hashSecretToken } from '../secret-tokens.js';
import type { OauthClientView, OauthTokenView } from './oauth.schema.js';

describe.each(backends)('OAuth tokens on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let acmeAdmin: User;
  let acmeAgent: User;
  let globexAdmin: User;
  let admin: TestSession;
  let globexSession: TestSession;
  let clientSeq = 0;

  const createClient = async (overrides: Record<string, unknown> = {}): Promise<OauthClientView> => {
    clientSeq += 1;
    const response = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: admin.headers,
      payload: {
        client: { name: `App ${clientSeq}`, identifier: `app-${clientSeq}`, redirect_uri: ['https://app.example/callback'], ...overrides },
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ client: OauthClientView }>().client;
  };

  const createToken = async (body: Record<string, unknown>, session = admin) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/tokens.json',
      headers: session.headers,
      payload: { token: body },
    });
    return {
      response,
      token:
        response.statusCode === 201
          ? response.json<{ token: OauthTokenView & { token: string; refresh_token: string } }>().token
          : undefined,
    };
  };

  const issue = async (scopes: string[], userId?: number): Promise<OauthTokenView & { token: string; refresh_token: string }> => {
    const client = await createClient();
    const { response, token } = await createToken({ client_id: client.id, scopes, ...(userId === undefined ? {} : { user_id: userId }) });
    expect(response.statusCode, response.body).toBe(201);
    if (token === undefined) throw new Error('no token');
    return token;
  };

  const bearer = (token: string, host = hostOf(acme)) => ({ host, authorization: `Bearer ${token}` });
  const current = (token: string, host?: string) => app.inject({ url: '/api/v2/oauth/tokens/current.json', headers: bearer(token, host) });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    acmeAdmin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    acmeAgent = await insertUser(database.db, acme, 'agent@acme.test');
    globexAdmin = await insertUser(database.db, globex, 'admin@globex.test', { role: 'admin' });
    deps = testDeps(database);
    app = await buildTestApp(deps);
    admin = await signIn(deps, acme, acmeAdmin);
    globexSession = await signIn(deps, globex, globexAdmin);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('shows the token and refresh token once, and lists neither', async () => {
    const token = await issue(['read', 'write']);
    expect(token).toMatchObject({
      user_id: acmeAdmin.id,
      scopes: ['read', 'write'],
      token: expect.any(String),
      refresh_token: expect.any(String),
    });
    expect(new Date(token.expires_at ?? '').getTime() - deps.clock.now().getTime()).toBe(2 * 60 * 60 * 1000);
    const row = await database.db.selectFrom('oauth_tokens').selectAll().where('id', '=', token.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashSecretToken(token.token));
    expect(row.refresh_token_hash).toBe(hashSecretToken(token.refresh_token));
    const list = await app.inject({ url: '/api/v2/oauth/tokens.json', headers: admin.headers });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(token.token);
    expect(list.body).not.toContain(token.refresh_token);
    expect(list.json<{ tokens: OauthTokenView[] }>().tokens.map((t) => t.id)).toContain(token.id);
    const filtered = await app.inject({ url: `/api/v2/oauth/tokens.json?client_id=${token.client_id}`, headers: admin.headers });
    expect(filtered.json<{ tokens: OauthTokenView[] }>().tokens.map((t) => t.id)).toEqual([token.id]);
    const shown = await app.inject({ url: `/api/v2/oauth/tokens/${token.id}.json`, headers: admin.headers });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain(token.token);
  });

  it("authenticates a Bearer token on its account's host and where the Host names no account, not on another's", async () => {
    const token = await issue(['read']);
    const mine = await current(token.token);
    expect(mine.statusCode).toBe(200);
    expect(mine.json<{ token: OauthTokenView }>().token).toMatchObject({ id: token.id, scopes: ['read'] });
    expect((await current(token.token, '127.0.0.1')).statusCode).toBe(200);
    const elsewhere = await current(token.token, hostOf(globex));
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.json()).toMatchObject({ error: 'Unauthorized' });
  });

  it('refuses writes through a read-only token', async () => {
    const token = await issue(['read']);
    expect((await app.inject({ url: '/api/v2/api_tokens.json', headers: bearer(token.token) })).statusCode).toBe(200);
    const writes = [
      await app.inject({
        method: 'POST',
        url: '/api/v2/api_tokens.json',
        headers: bearer(token.token),
        payload: { api_token: { description: 'escalate' } },
      }),
      await app.inject({
        method: 'POST',
        url: '/api/v2/oauth/clients.json',
        headers: bearer(token.token),
        payload: { client: { name: 'x', identifier: 'ro-app', redirect_uri: ['https://a.example/cb'] } },
      }),
      await app.inject({
        method: 'POST',
        url: '/api/v2/oauth/tokens.json',
        headers: bearer(token.token),
        payload: { token: { client_id: token.client_id, scopes: ['read', 'write'] } },
      }),
    ];
    for (const response of writes) {
      expect(response.statusCode).toBe(403);
      expect(response.json<{ description: string }>().description).toContain('"write" scope');
    }
    const readWrite = await issue(['read', 'write']);
    const allowed = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: bearer(readWrite.token),
      payload: { api_token: { description: 'ok' } },
    });
    expect(allowed.statusCode).toBe(201);
  });

  it("keeps working while the user's password change is pending", async () => {
    const pending = await insertUser(database.db, acme, 'pending@acme.test');
    await insertPendingPasswordChange(database.db, pending);
    const token = await issue(['read'], pending.id);
    const response = await current(token.token);
    expect(response.statusCode).toBe(200);
    expect(response.json<{ token: OauthTokenView }>().token.user_id).toBe(pending.id);
  });

  it('revokes by id (admins) and the calling token itself', async () => {
    const byAdmin = await issue(['read']);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v2/oauth/tokens/${byAdmin.id}.json`, headers: admin.headers })).statusCode,
    ).toBe(204);
    expect((await current(byAdmin.token)).statusCode).toBe(401);
    expect((await app.inject({ url: `/api/v2/oauth/tokens/${byAdmin.id}.json`, headers: admin.headers })).statusCode).toBe(404);
    const row = await database.db.selectFrom('oauth_tokens').selectAll().where('id', '=', byAdmin.id).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    expect(row.refresh_token_hash).toBeNull();

    const self = await issue(['read']);
    const revoked = await app.inject({ method: 'DELETE', url: '/api/v2/oauth/tokens/current.json', headers: bearer(self.token) });
    expect(revoked.statusCode).toBe(204);
    expect((await current(self.token)).statusCode).toBe(401);
    expect((await app.inject({ method: 'DELETE', url: '/api/v2/oauth/tokens/current.json', headers: admin.headers })).statusCode).toBe(400);
    const audit = await database.db
      .selectFrom('audit_events')
      .select(['action', 'target_id'])
      .where('action', '=', 'oauth_token.revoked')
      .execute();
    expect(audit.map((event) => event.target_id)).toEqual(expect.arrayContaining([String(byAdmin.id), String(self.id)]));
  });

  it('refuses non-admins, other accounts’ clients, users and tokens', async () => {
    const token = await issue(['read']);
    const agent = await signIn(deps, acme, acmeAgent);
    expect((await app.inject({ url: '/api/v2/oauth/tokens.json', headers: agent.headers })).statusCode).toBe(403);
    expect((await createToken({ client_id: token.client_id, scopes: ['read'] }, agent)).response.statusCode).toBe(403);

    expect((await app.inject({ url: `/api/v2/oauth/tokens/${token.id}.json`, headers: globexSession.headers })).statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v2/oauth/tokens/${token.id}.json`, headers: globexSession.headers })).statusCode,
    ).toBe(404);
    const theirs = await app.inject({ url: '/api/v2/oauth/tokens.json', headers: globexSession.headers });
    expect(theirs.json<{ tokens: OauthTokenView[] }>().tokens).toEqual([]);
    expect((await createToken({ client_id: token.client_id, scopes: ['read'] }, globexSession)).response.statusCode).toBe(422);
    expect((await createToken({ client_id: token.client_id, scopes: ['read'], user_id: globexAdmin.id })).response.statusCode).toBe(422);
    expect((await current(token.token)).statusCode).toBe(200);
  });

  it('refuses bad scopes and ids without touching the database', async () => {
    const client = (await issue(['read'])).client_id;
    for (const [body, status] of [
      [{ client_id: client, scopes: ['admin'] }, 422],
      [{ client_id: client, scopes: ['read', 'read'] }, 422],
      [{ client_id: client, scopes: [] }, 400],
      [{ client_id: '1e400', scopes: ['read'] }, 422],
      [{ client_id: "1' OR '1'='1", scopes: ['read'] }, 400],
      [{ client_id: client, scopes: ['read'], user_id: 99999999 }, 422],
    ] as const) {
      const { response } = await createToken(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
    }
    for (const url of ['/api/v2/oauth/tokens/1e400.json', "/api/v2/oauth/tokens/1'--.json", '/api/v2/oauth/tokens.json?client_id=1e400']) {
      expect((await app.inject({ url, headers: admin.headers })).statusCode, url).toBe(400);
    }
  });

  it('refuses malformed and hostile Bearer headers', async () => {
    for (const authorization of [
      'Bearer',
      'Bearer    ',
      `Bearer ${'x'.repeat(5000)}`,
      "Bearer ' OR 1=1 --",
      'Bearer a b c',
      'Bearer\tabc',
      'Token abc',
    ]) {
      const response = await app.inject({ url: '/api/v2/oauth/tokens/current.json', headers: { host: hostOf(acme), authorization } });
      expect(response.statusCode, authorization.slice(0, 30)).toBe(401);
    }
  });

  it('refuses an expired token', async () => {
    const token = await issue(['read']);
    expect((await current(token.token)).statusCode).toBe(200);
    deps.clock.advance(2 * 60 * 60 * 1000 - 1000);
    expect((await current(token.token)).statusCode).toBe(200);
    deps.clock.advance(1000);
    expect((await current(token.token)).statusCode).toBe(401);
    expect((await current(token.token, '127.0.0.1')).statusCode).toBe(401);
  });
});
