import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { PLATFORM_ACCOUNT_ID } from '../../src/platform/audit/audit.service.js';
import type { SignInEventRow } from '../../src/platform/sign-in-events/sign-in-events.repo.js';
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
import { IN_ORDER } from '../support/in-order.js';
import { mintJwt } from '../support/sso-fixtures.js';
import { createTestStaff, staffSignIn } from '../support/staff-fixtures.js';

const PASSWORD = 'violet harbour 8 lantern';
const JWT_SECRET = 'a shared secret of forty characters.....';
const CLIENT = { 'user-agent': 'Integration/2.1', 'x-forwarded-for': '198.51.100.7' };

const basic = (email: string, password: string): string => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

describe.each(backends)('sign-in events on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let ana: User;
  let admin: TestSession;
  let globexAdmin: TestSession;
  let apiToken: string;
  let apiTokenId: number;

  /** The account's events as stored, oldest first, after the writer's flush. */
  const stored = async (accountId: number): Promise<SignInEventRow[]> => {
    await deps.signInEvents.flush();
    return database.db.selectFrom('sign_in_events').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
  };
  /** What each event says, without ids and times. */
  const told = (rows: SignInEventRow[]) =>
    rows.map((row) => ({
      channel: row.channel,
      outcome: row.outcome,
      reason: row.reason,
      user_id: row.user_id === null ? null : Number(row.user_id),
      attempts: Number(row.attempts),
    }));
  let seen = 0;
  /** The events of acme recorded since the last call. */
  const newEvents = async () => {
    const rows = await stored(acme.id);
    const fresh = rows.slice(seen);
    seen = rows.length;
    return told(fresh);
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps, { config: { ...deps.config, trustProxy: ['127.0.0.1'] } });
    acme = await insertAccount(database.db, 'acme', { password_api_access: 1 });
    globex = await insertAccount(database.db, 'globex');
    ana = await insertUser(database.db, acme, 'ana@acme.test');
    await insertPasswordCredential(database.db, ana, { password_hash: await hashPassword(PASSWORD) });
    const acmeAdmin = await insertUser(database.db, acme, 'boss@acme.test', { role: 'admin' });
    admin = await signIn(deps, acme, acmeAdmin);
    globexAdmin = await signIn(deps, globex, await insertUser(database.db, globex, 'boss@globex.test', { role: 'admin' }));
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: admin.headers,
      payload: { api_token: { description: 'sync' } },
    });
    const token = created.json<{ api_token: { id: number; token: string } }>().api_token;
    apiToken = token.token;
    apiTokenId = token.id;
    const sso = await app.inject({
      method: 'PUT',
      url: '/api/v2/account/sso.json',
      headers: admin.headers,
      payload: { sso: { jwt: { enabled: true, shared_secret: JWT_SECRET, remote_login_url: 'https://idp.acme.test/login' } } },
    });
    expect(sso.statusCode).toBe(200);
    await newEvents();
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('records a web sign-in once with its outcome: right, wrong and unknown', async () => {
    const attempt = (email: string, password: string) =>
      app.inject({ method: 'POST', url: '/access/sign_in', headers: { host: hostOf(acme), ...CLIENT }, payload: { email, password } });
    expect((await attempt('ana@acme.test', PASSWORD)).statusCode).toBe(200);
    expect((await attempt('ana@acme.test', 'not her password')).statusCode).toBe(401);
    expect((await attempt('nobody@acme.test', 'whatever it is')).statusCode).toBe(401);
    expect(await newEvents()).toEqual([
      { channel: 'web', outcome: 'succeeded', reason: null, user_id: ana.id, attempts: 1 },
      { channel: 'web', outcome: 'failed', reason: 'wrong_password', user_id: ana.id, attempts: 1 },
      { channel: 'web', outcome: 'failed', reason: 'unknown_user', user_id: null, attempts: 1 },
    ]);
    const [first] = (await stored(acme.id)).slice(-3);
    expect(first).toMatchObject({ ip: '198.51.100.7', user_agent: 'Integration/2.1', identifier: 'ana@acme.test' });
  });

  it('records password Basic auth, API token and OAuth token attempts', async () => {
    const me = (authorization: string) =>
      app.inject({ url: '/api/v2/users/me.json', headers: { host: hostOf(acme), authorization, ...CLIENT } });
    expect((await me(basic('ana@acme.test', PASSWORD))).statusCode).toBe(200);
    expect((await me(basic('ana@acme.test', 'wrong again!'))).statusCode).toBe(401);
    expect((await me(apiTokenAuthorization('boss@acme.test', apiToken))).statusCode).toBe(200);
    expect((await me(apiTokenAuthorization('boss@acme.test', 'not-a-token'))).statusCode).toBe(401);
    expect((await me('Bearer not-an-oauth-token')).statusCode).toBe(401);
    const events = await newEvents();
    expect(events).toEqual([
      { channel: 'password_basic', outcome: 'succeeded', reason: null, user_id: ana.id, attempts: 1 },
      { channel: 'password_basic', outcome: 'failed', reason: 'wrong_password', user_id: ana.id, attempts: 1 },
      { channel: 'api_token', outcome: 'succeeded', reason: null, user_id: expect.any(Number), attempts: 1 },
      { channel: 'api_token', outcome: 'failed', reason: 'invalid_token', user_id: null, attempts: 1 },
      { channel: 'oauth_token', outcome: 'failed', reason: 'invalid_token', user_id: null, attempts: 1 },
    ]);
    const tokenEvent = (await stored(acme.id)).find((row) => row.channel === 'api_token' && row.outcome === 'succeeded');
    expect(Number(tokenEvent?.credential_id)).toBe(apiTokenId);
  });

  it('folds identical attempts of one flush into one event with their count', async () => {
    for (let i = 0; i < 5; i += 1)
      await app.inject({
        url: '/api/v2/users/me.json',
        headers: { host: hostOf(acme), authorization: apiTokenAuthorization('boss@acme.test', apiToken), ...CLIENT },
      });
    expect(await newEvents()).toEqual([
      { channel: 'api_token', outcome: 'succeeded', reason: null, user_id: expect.any(Number), attempts: 5 },
    ]);
  });

  it('records JWT single sign-on, accepted and refused', async () => {
    const jwt = (secret: string, jti: string) =>
      mintJwt(secret, { jti, email: 'ana@acme.test', name: 'Ana' }, { issuedAt: deps.clock.now() });
    const signInWith = async (token: string) =>
      app.inject({ url: `/access/jwt?jwt=${encodeURIComponent(token)}`, headers: { host: hostOf(acme), ...CLIENT } });
    expect((await signInWith(await jwt(JWT_SECRET, 'one'))).statusCode).toBe(302);
    expect((await signInWith(await jwt('another secret of forty characters......', 'two'))).statusCode).toBe(401);
    expect(await newEvents()).toEqual([
      { channel: 'jwt_sso', outcome: 'succeeded', reason: null, user_id: ana.id, attempts: 1 },
      { channel: 'jwt_sso', outcome: 'failed', reason: 'bad_signature', user_id: null, attempts: 1 },
    ]);
  });

  it("keeps staff sign-ins on the platform's log, never an account's", async () => {
    const staff = await createTestStaff(deps, 'op@vendor.test', 'operator');
    await staffSignIn(app, deps.clock, staff);
    const refused = await app.inject({
      method: 'POST',
      url: '/ops/v1/session',
      headers: CLIENT,
      payload: { email: staff.email, password: 'not the password at all', totp: '000000' },
    });
    expect(refused.statusCode).toBe(401);
    expect(told((await stored(PLATFORM_ACCOUNT_ID)).filter((row) => row.channel === 'staff'))).toEqual([
      { channel: 'staff', outcome: 'succeeded', reason: null, user_id: staff.id, attempts: 1 },
      { channel: 'staff', outcome: 'failed', reason: 'wrong_password_or_code', user_id: staff.id, attempts: 1 },
    ]);
    expect(await newEvents()).toEqual([]);
  });

  it("shows an account's admins their own events, filtered and in cursor pages, and nobody else's", async () => {
    const read = (session: TestSession, query = '') =>
      app.inject({ url: `/api/v2/security/sign_in_events.json${query}`, headers: session.headers });
    const all = await read(admin);
    expect(all.statusCode).toBe(200);
    const body = all.json<{ sign_in_events: Array<Record<string, unknown>> }>();
    expect(body.sign_in_events.length).toBe(seen);
    expect(body.sign_in_events[0]).toMatchObject({ channel: 'jwt_sso', outcome: 'failed' });
    expect(Object.keys(body.sign_in_events[0] ?? {}).sort()).toEqual(
      [
        'attempts',
        'channel',
        'credential_id',
        'id',
        'identifier',
        'ip',
        'last_at',
        'occurred_at',
        'outcome',
        'reason',
        'user_agent',
        'user_id',
      ].sort(),
    );

    const anaFailures = await read(admin, `?user_id=${ana.id}&outcome=failed`);
    expect(anaFailures.json<{ sign_in_events: Array<{ reason: string }> }>().sign_in_events.map((event) => event.reason)).toEqual([
      'wrong_password',
      'wrong_password',
    ]);
    const web = await read(admin, '?channel=web&since=2026-01-01T00:00:00Z&until=2030-01-01T00:00:00Z');
    expect(web.json<{ sign_in_events: unknown[] }>().sign_in_events).toHaveLength(3);

    // Pages of two, following links.next, give every event once.
    const ids: number[] = [];
    let next: string | null = '/api/v2/security/sign_in_events.json?page[size]=2';
    while (next !== null) {
      const page: { statusCode: number; json: <T>() => T } = await app.inject({
        url: next.replace(/^https?:\/\/[^/]+/, ''),
        headers: admin.headers,
      });
      expect(page.statusCode).toBe(200);
      const answer: { sign_in_events: Array<{ id: number }>; links: { next: string | null } } = page.json<{
        sign_in_events: Array<{ id: number }>;
        links: { next: string | null };
      }>();
      ids.push(...answer.sign_in_events.map((event) => event.id));
      next = answer.links.next;
    }
    expect(ids).toEqual(body.sign_in_events.map((event) => event.id));

    // Another account's admin sees only its own (none), an agent is refused, and bad filters say what to send.
    expect((await read(globexAdmin)).json()).toEqual({
      sign_in_events: [],
      meta: { has_more: false, after_cursor: null },
      links: { next: null },
    });
    const agent = await signIn(deps, acme, ana);
    expect((await read(agent)).statusCode).toBe(403);
    const badTime = await read(admin, '?since=yesterday');
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json()).toMatchObject({ details: { since: [expect.stringContaining('ISO-8601')] } });
    expect((await read(admin, '?page[after]=bm90LWEtY3Vyc29y')).statusCode).toBe(400);
    expect((await read(admin, '?channel=carrier_pigeon')).statusCode).toBe(400);
  });
});
