import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../../db/schema.js';
import type { FixedClock } from '../../../platform/clock.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { hostOf, insertUser, signIn, type TestSession } from '../../../../test/support/identity-fixtures.js';
import { hashSecretToken } from '../secret-tokens.js';
import type { OauthClientView, OauthTokenView } from './oauth.schema.js';

describe.each(backends)('OAuth clients on %s', (backend) => {
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

  it('shows a confidential client’s secret once and stores its hash', async () => {
    const client = await createClient({ kind: 'confidential' });
    expect(client).toMatchObject({
      url: `http://acme.localhost:3000/api/v2/oauth/clients/${client.id}.json`,
      kind: 'confidential',
      redirect_uri: ['https://app.example/callback'],
      secret: expect.any(String),
    });
    const secret = client.secret ?? '';
    const row = await database.db.selectFrom('oauth_clients').selectAll().where('id', '=', client.id).executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashSecretToken(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    const list = await app.inject({ url: '/api/v2/oauth/clients.json', headers: admin.headers });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(secret);
    const shown = await app.inject({ url: `/api/v2/oauth/clients/${client.id}.json`, headers: admin.headers });
    expect(shown.json<{ client: OauthClientView }>().client).not.toHaveProperty('secret');
    const audit = await database.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', String(client.id))
      .where('target_type', '=', 'oauth_client')
      .execute();
    expect(audit.map((event) => event.action)).toContain('oauth_client.created');
  });

  it('gives public clients no secret, and confidential clients a new one on request', async () => {
    const publicClient = await createClient({ kind: 'public' });
    expect(publicClient).not.toHaveProperty('secret');
    expect(
      (await app.inject({ method: 'PUT', url: `/api/v2/oauth/clients/${publicClient.id}/generate_secret.json`, headers: admin.headers }))
        .statusCode,
    ).toBe(422);

    const confidential = await createClient();
    const regenerated = await app.inject({
      method: 'PUT',
      url: `/api/v2/oauth/clients/${confidential.id}/generate_secret.json`,
      headers: admin.headers,
    });
    expect(regenerated.statusCode).toBe(200);
    const secret = regenerated.json<{ client: OauthClientView }>().client.secret;
    expect(secret).toEqual(expect.any(String));
    expect(secret).not.toBe(confidential.secret);
    const row = await database.db
      .selectFrom('oauth_clients')
      .select('secret_hash')
      .where('id', '=', confidential.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashSecretToken(secret ?? ''));
  });

  it('updates name, identifier and redirect URIs', async () => {
    const client = await createClient();
    const response = await app.inject({
      method: 'PUT',
      url: `/api/v2/oauth/clients/${client.id}.json`,
      headers: admin.headers,
      payload: {
        client: {
          name: 'Renamed',
          identifier: `renamed-${client.id}`,
          redirect_uri: ['https://new.example/cb', 'http://localhost:3000/cb'],
        },
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<{ client: OauthClientView }>().client).toMatchObject({
      name: 'Renamed',
      identifier: `renamed-${client.id}`,
      redirect_uri: ['https://new.example/cb', 'http://localhost:3000/cb'],
    });
    for (const change of [{ kind: 'public' }, {}, { secret: 'chosen' }]) {
      const refused = await app.inject({
        method: 'PUT',
        url: `/api/v2/oauth/clients/${client.id}.json`,
        headers: admin.headers,
        payload: { client: change },
      });
      expect(refused.statusCode, JSON.stringify(change)).toBe(422);
    }
  });

  it('refuses unsafe redirect URIs, taken identifiers and hostile input', async () => {
    const existing = await createClient();
    const refusals: Array<[Record<string, unknown>, number]> = [
      [{ redirect_uri: ['javascript:alert(document.cookie)'] }, 422],
      [{ redirect_uri: ['http://evil.example/cb'] }, 422],
      [{ redirect_uri: ['https://app.example/cb#fragment'] }, 422],
      [{ redirect_uri: ['https://app.example/cb', 'https://app.example/cb'] }, 422],
      [{ identifier: existing.identifier }, 422],
      [{ identifier: "x' OR '1'='1" }, 400],
      [{ identifier: 'a'.repeat(101) }, 400],
      [{ name: 'n'.repeat(256) }, 400],
      [{ redirect_uri: [] }, 400],
      [{ redirect_uri: Array.from({ length: 11 }, (_, i) => `https://app.example/${i}`) }, 400],
      [{ redirect_uri: [`https://app.example/${'a'.repeat(2100)}`] }, 400],
      [{ kind: 'trusted' }, 400],
    ];
    for (const [overrides, status] of refusals) {
      clientSeq += 1;
      const response = await app.inject({
        method: 'POST',
        url: '/api/v2/oauth/clients.json',
        headers: admin.headers,
        payload: { client: { name: 'Bad', identifier: `bad-${clientSeq}`, redirect_uri: ['https://app.example/cb'], ...overrides } },
      });
      expect(response.statusCode, JSON.stringify(overrides).slice(0, 80)).toBe(status);
    }
    const named = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: admin.headers,
      payload: { client: { name: 'Bad', identifier: 'bad-js', redirect_uri: ['javascript:alert(1)'] } },
    });
    expect(named.json()).toMatchObject({
      error: 'RecordInvalid',
      details: { redirect_uri: [{ description: expect.stringContaining('redirect_uri[0]') }] },
    });
  });

  it('refuses non-admins, and keeps each account’s clients to itself', async () => {
    const client = await createClient();
    const agent = await signIn(deps, acme, acmeAgent);
    expect((await app.inject({ url: '/api/v2/oauth/clients.json', headers: agent.headers })).statusCode).toBe(403);
    const agentPost = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: agent.headers,
      payload: { client: { name: 'x', identifier: 'agent-app', redirect_uri: ['https://a.example/cb'] } },
    });
    expect(agentPost.statusCode).toBe(403);

    const theirs = await app.inject({ url: '/api/v2/oauth/clients.json', headers: globexSession.headers });
    expect(theirs.json<{ clients: OauthClientView[] }>().clients.map((c) => c.id)).not.toContain(client.id);
    expect((await app.inject({ url: `/api/v2/oauth/clients/${client.id}.json`, headers: globexSession.headers })).statusCode).toBe(404);
    const put = await app.inject({
      method: 'PUT',
      url: `/api/v2/oauth/clients/${client.id}.json`,
      headers: globexSession.headers,
      payload: { client: { name: 'mine' } },
    });
    expect(put.statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v2/oauth/clients/${client.id}.json`, headers: globexSession.headers })).statusCode,
    ).toBe(404);
    expect((await app.inject({ url: `/api/v2/oauth/clients/${client.id}.json`, headers: admin.headers })).json()).toMatchObject({
      client: { name: client.name },
    });
  });

  it('revokes a client’s tokens when it is deleted', async () => {
    const client = await createClient();
    const { token } = await createToken({ client_id: client.id, scopes: ['read'] });
    expect((await current(token?.token ?? '')).statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v2/oauth/clients/${client.id}.json`, headers: admin.headers })).statusCode,
    ).toBe(204);
    expect((await current(token?.token ?? '')).statusCode).toBe(401);
    expect((await app.inject({ url: `/api/v2/oauth/clients/${client.id}.json`, headers: admin.headers })).statusCode).toBe(404);
  });
});
