import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../../db/schema.js';
import type { FixedClock } from '../../../platform/clock.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import {
  apiTokenAuthorization,
  hostOf,
  insertPendingPasswordChange,
  insertUser,
  signIn,
  type TestSession,
} from '../../../../test/support/identity-fixtures.js';
import { hashSecretToken } from '../secret-tokens.js';

interface TokenBody {
  api_token: {
    id: number;
    url: string;
    description: string;
    token?: string;
    token_hint: string;
    created_at: string;
    last_used_at: string | null;
  };
}

describe.each(backends)('API tokens on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let acmeAdmin: User;
  let acmeAgent: User;
  let acmeEndUser: User;
  let acmeInactiveAgent: User;
  let globexAdmin: User;
  let adminSession: TestSession;
  let globexSession: TestSession;

  const createToken = async (description = 'Slack integration'): Promise<TokenBody['api_token'] & { token: string }> => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: adminSession.headers,
      payload: { api_token: { description } },
    });
    expect(response.statusCode).toBe(201);
    const created = response.json<TokenBody>().api_token;
    if (created.token === undefined) throw new Error('the creation answer carries no token');
    return { ...created, token: created.token };
  };

  /** Lists the account's tokens, authenticating with an API token; 401 when refused, 403 when not an admin. */
  const callWithToken = (email: string, token: string, host: string) =>
    app.inject({ url: '/api/v2/api_tokens.json', headers: { host, authorization: apiTokenAuthorization(email, token) } });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    acmeAdmin = await insertUser(database.db, acme, 'Admin@Acme.test', { role: 'admin' });
    acmeAgent = await insertUser(database.db, acme, 'agent@acme.test');
    acmeEndUser = await insertUser(database.db, acme, 'customer@acme.test', { role: 'end-user' });
    acmeInactiveAgent = await insertUser(database.db, acme, 'gone@acme.test', { active: 0 });
    globexAdmin = await insertUser(database.db, globex, 'admin@globex.test', { role: 'admin' });
    deps = testDeps(database);
    app = await buildTestApp(deps);
    adminSession = await signIn(deps, acme, acmeAdmin);
    globexSession = await signIn(deps, globex, globexAdmin);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('shows a new token once, stores only its hash, and lists only a hint', async () => {
    const created = await createToken();
    expect(created).toMatchObject({
      id: expect.any(Number),
      url: `http://acme.localhost:3000/api/v2/api_tokens/${created.id}.json`,
      description: 'Slack integration',
      token_hint: created.token.slice(-4),
      last_used_at: null,
    });
    expect(created.token.length).toBeGreaterThanOrEqual(40);

    const row = await database.db.selectFrom('api_tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashSecretToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);

    const list = await app.inject({ url: '/api/v2/api_tokens.json', headers: adminSession.headers });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(created.token);
    const listed = list.json<{ api_tokens: Array<Record<string, unknown>>; count: number }>();
    expect(listed.api_tokens.find((token) => token.id === created.id)).toEqual({
      id: created.id,
      url: created.url,
      description: 'Slack integration',
      token_hint: created.token.slice(-4),
      created_at: created.created_at,
      last_used_at: null,
    });
    const shown = await app.inject({ url: `/api/v2/api_tokens/${created.id}`, headers: adminSession.headers });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain(created.token);

    const audit = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', acme.id)
      .where('action', '=', 'api_token.created')
      .execute();
    expect(audit.map((event) => event.target_id)).toContain(String(created.id));
    expect(JSON.stringify(audit)).not.toContain(created.token);
  });

  it('pages through tokens by cursor', async () => {
    await createToken('page one');
    await createToken('page two');
    const first = await app.inject({ url: '/api/v2/api_tokens.json?page[size]=1', headers: adminSession.headers });
    const body = first.json<{ api_tokens: unknown[]; meta: { has_more: boolean }; links: { next: string } }>();
    expect(body.api_tokens).toHaveLength(1);
    expect(body.meta.has_more).toBe(true);
    const next = await app.inject({ url: body.links.next.replace('http://acme.localhost:3000', ''), headers: adminSession.headers });
    expect(next.statusCode).toBe(200);
    expect(next.json<{ api_tokens: Array<{ id: number }> }>().api_tokens[0]?.id).not.toBe((body.api_tokens[0] as { id: number }).id);
  });

  it("authenticates an agent or admin of the token's account on its host, and where the Host names no account", async () => {
    const { token } = await createToken();
    expect((await callWithToken('admin@acme.test', token, hostOf(acme))).statusCode).toBe(200);
    expect((await callWithToken('ADMIN@acme.test', token, '127.0.0.1:3000')).statusCode).toBe(200);
    expect((await callWithToken('admin@acme.test', token, 'localhost')).statusCode).toBe(200);
    // An agent is authenticated (403, not 401): the management routes are for admins.
    expect((await callWithToken('agent@acme.test', token, hostOf(acme))).statusCode).toBe(403);
  });

  it("refuses the token on another account's host, for users who may not use it, and when unknown, all alike", async () => {
    const { token } = await createToken();
    const refusals = [
      await callWithToken('admin@acme.test', token, hostOf(globex)),
      await callWithToken('admin@globex.test', token, hostOf(globex)),
      await callWithToken('admin@globex.test', token, '127.0.0.1'),
      await callWithToken(acmeEndUser.email, token, hostOf(acme)),
      await callWithToken(acmeInactiveAgent.email, token, hostOf(acme)),
      await callWithToken('nobody@acme.test', token, hostOf(acme)),
      await callWithToken('admin@acme.test', `${token}x`, hostOf(acme)),
      await callWithToken('admin@acme.test', token.toLowerCase() === token ? token.toUpperCase() : token.toLowerCase(), hostOf(acme)),
    ];
    for (const response of refusals) expect(response.statusCode).toBe(401);
    expect(new Set(refusals.map((response) => response.body)).size).toBe(1);
    expect(refusals[0]?.json()).toMatchObject({ error: 'Unauthorized' });
  });

  it("keeps working while the user's password change is pending", async () => {
    const { token } = await createToken();
    const pending = await insertUser(database.db, acme, 'pending-admin@acme.test', { role: 'admin' });
    await insertPendingPasswordChange(database.db, pending);
    expect((await callWithToken(pending.email, token, hostOf(acme))).statusCode).toBe(200);
    expect((await callWithToken(pending.email, token, '127.0.0.1')).statusCode).toBe(200);
  });

  it('records the last use, at most once a minute, with the sign-in events', async () => {
    const { id, token } = await createToken();
    const lastUsed = async () => {
      await deps.signInEvents.flush();
      return (await database.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow())
        .last_used_at;
    };
    const firstUse = deps.clock.now().toISOString();
    await callWithToken('admin@acme.test', token, hostOf(acme));
    expect(await lastUsed()).toBe(firstUse);
    deps.clock.advance(30_000);
    await callWithToken('admin@acme.test', token, hostOf(acme));
    expect(await lastUsed()).toBe(firstUse);
    deps.clock.advance(31_000);
    await callWithToken('admin@acme.test', token, hostOf(acme));
    expect(await lastUsed()).toBe(deps.clock.now().toISOString());
    const shown = await app.inject({ url: `/api/v2/api_tokens/${id}.json`, headers: adminSession.headers });
    expect(shown.json<TokenBody>().api_token.last_used_at).toBe(deps.clock.now().toISOString());
  });

  it('refuses a deleted token at once, and audits the deletion', async () => {
    const { id, token } = await createToken('to delete');
    expect((await callWithToken('admin@acme.test', token, hostOf(acme))).statusCode).toBe(200);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/v2/api_tokens/${id}.json`, headers: adminSession.headers });
    expect(deleted.statusCode).toBe(204);
    expect((await callWithToken('admin@acme.test', token, hostOf(acme))).statusCode).toBe(401);
    expect((await app.inject({ url: `/api/v2/api_tokens/${id}.json`, headers: adminSession.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/api/v2/api_tokens/${id}.json`, headers: adminSession.headers })).statusCode).toBe(
      404,
    );
    const audit = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', acme.id)
      .where('action', '=', 'api_token.deleted')
      .where('target_id', '=', String(id))
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('refuses non-admins and callers without a credential', async () => {
    const agentSession = await signIn(deps, acme, acmeAgent);
    expect((await app.inject({ url: '/api/v2/api_tokens.json', headers: agentSession.headers })).statusCode).toBe(403);
    const post = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: agentSession.headers,
      payload: { api_token: { description: 'x' } },
    });
    expect(post.statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v2/api_tokens.json', headers: { host: hostOf(acme) } })).statusCode).toBe(401);
  });

  it("keeps each account's tokens to itself", async () => {
    const { id } = await createToken('acme only');
    const list = await app.inject({ url: '/api/v2/api_tokens.json', headers: globexSession.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ api_tokens: Array<{ id: number }> }>().api_tokens.map((token) => token.id)).not.toContain(id);
    expect((await app.inject({ url: `/api/v2/api_tokens/${id}.json`, headers: globexSession.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/api/v2/api_tokens/${id}.json`, headers: globexSession.headers })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ url: `/api/v2/api_tokens/${id}.json`, headers: adminSession.headers })).statusCode).toBe(200);
  });

  it('refuses malformed Authorization headers, SQL-ish and over-long input', async () => {
    const { token } = await createToken();
    const headers = (authorization: string) => ({ host: hostOf(acme), authorization });
    for (const authorization of [
      'Basic',
      'Basic !!!!',
      `Basic ${Buffer.from('no-colon-here').toString('base64')}`,
      `Basic ${Buffer.from(':secret').toString('base64')}`,
      `Basic ${Buffer.from("admin@acme.test' OR '1'='1/token:x' OR '1'='1").toString('base64')}`,
      apiTokenAuthorization('admin@acme.test', "' OR 1=1 --"),
      apiTokenAuthorization('admin@acme.test', `${token}'; DROP TABLE api_tokens; --`),
      apiTokenAuthorization(`${'a'.repeat(400)}@acme.test`, token),
      apiTokenAuthorization('admin@acme.test', 'x'.repeat(4000)),
      apiTokenAuthorization('admin@acme.test', ''),
      'Digest username="admin"',
      'Bearer',
    ]) {
      const response = await app.inject({ url: '/api/v2/api_tokens.json', headers: headers(authorization) });
      expect(response.statusCode, authorization.slice(0, 40)).toBe(401);
      expect(response.json()).toMatchObject({ error: 'Unauthorized' });
    }
    expect(await database.db.selectFrom('api_tokens').select('id').execute()).not.toHaveLength(0);

    const sqlish = await createToken("Robert'); DROP TABLE api_tokens; --");
    expect(sqlish.description).toBe("Robert'); DROP TABLE api_tokens; --");
    for (const payload of [{ api_token: { description: 'x'.repeat(256) } }, { api_token: { description: '   ' } }, { api_token: {} }, {}]) {
      const response = await app.inject({ method: 'POST', url: '/api/v2/api_tokens.json', headers: adminSession.headers, payload });
      expect(response.statusCode).toBe(400);
    }
    for (const id of ['abc', '1e400', '-1', '99999999999999999999', "1' OR '1'='1"]) {
      const response = await app.inject({ url: `/api/v2/api_tokens/${encodeURIComponent(id)}.json`, headers: adminSession.headers });
      expect(response.statusCode, id).toBe(400);
    }
  });
});
