/**
 * Password guessing over HTTP: nobody can lock anyone else out, every password
 * check spends its client's budget whatever the route, hashing is bounded, and
 * a proxy is trusted only as configured.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveIds } from '../../src/db/sequences.js';
import type { Account, User } from '../../src/db/schema.js';
import { withHashingSlot } from '../../src/modules/auth/passwords/hashing-capacity.js';
import { hashPassword, passwordHashComputations } from '../../src/modules/auth/passwords/password-hashing.js';
import { issueSecretToken } from '../../src/modules/auth/secret-tokens.js';
import { insertChangeStep } from '../../src/modules/auth/sessions/sessions.repo.js';
import { LOGIN_THROTTLE_POLICY } from '../../src/modules/auth/throttle/login-throttle.service.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertPasswordCredential, insertUser, signIn } from '../support/identity-fixtures.js';

const PASSWORD = 'Marble-Orchard-Sunrise-31';
const WRONG = 'Marble-Orchard-Sunrise-32';
const NEW_PASSWORD = 'Velvet-Compass-Evening-58';

const basic = (email: string, password: string): string => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

describe.each(backends)('password guessing on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  const apps: FastifyInstance[] = [];
  let acme: Account;
  let beta: Account;
  let ana: User;
  let bea: User;

  /** The app with some settings changed, over the same database. */
  const appWith = async (config: Partial<ReturnType<typeof testDeps>['config']>): Promise<FastifyInstance> => {
    const built = await buildTestApp(deps, { config: { ...deps.config, ...config } });
    apps.push(built);
    return built;
  };
  const withPassword = async (account: Account, email: string): Promise<User> =>
    insertPasswordCredential(database.db, await insertUser(database.db, account, email), { password_hash: await hashPassword(PASSWORD) });
  const signInFrom = (ip: string, email: string, password: string, via = app, headers: Record<string, string> = {}) =>
    via.inject({
      method: 'POST',
      url: '/access/sign_in',
      headers: { host: hostOf(acme), ...headers },
      payload: { email, password },
      remoteAddress: ip,
    });
  const apiFrom = (ip: string, account: Account, email: string, password: string, via = app) =>
    via.inject({
      url: '/api/v2/users/me.json',
      headers: { host: hostOf(account), authorization: basic(email, password) },
      remoteAddress: ip,
    });
  const changeStep = async (user: User, purpose: 'reset' | 'forced_change'): Promise<string> => {
    const issued = issueSecretToken();
    const now = deps.clock.now();
    await insertChangeStep(database.db, {
      account_id: user.account_id,
      id: await reserveIds(database.db, 'password_change_steps', 1),
      user_id: user.id,
      purpose,
      token_hash: issued.hash,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 60 * 60 * 1000).toISOString(),
      used_at: null,
    });
    return issued.raw;
  };
  const addressCounters = async (account: Account): Promise<string[]> =>
    (
      await database.db
        .selectFrom('login_throttles')
        .select('subject')
        .where('account_id', '=', account.id)
        .where('subject', 'like', 'ip:%')
        .execute()
    ).map((row) => row.subject);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    acme = await insertAccount(database.db, 'acme');
    beta = await insertAccount(database.db, 'beta');
    ana = await withPassword(acme, 'ana@acme.test');
    bea = await withPassword(beta, 'bea@beta.test');
  });
  afterAll(async () => {
    for (const built of [app, ...apps]) await built.close();
    await database.dispose();
  });

  it('does not let an attacker guessing from one address lock the user out from another', async () => {
    for (let index = 0; index < LOGIN_THROTTLE_POLICY.freeFailures.pair * 3; index += 1) {
      expect((await signInFrom('203.0.113.10', ana.email, WRONG)).statusCode).toBe(401);
      expect((await apiFrom('203.0.113.11', acme, ana.email, WRONG)).statusCode).toBe(401);
    }
    // Many addresses at once do not lock her either.
    for (let index = 0; index < 20; index += 1) expect((await signInFrom(`192.0.2.${index}`, ana.email, WRONG)).statusCode).toBe(401);
    const mine = await signInFrom('198.51.100.20', ana.email, PASSWORD);
    expect(mine.statusCode, mine.body).toBe(200);
    expect((await apiFrom('198.51.100.20', acme, ana.email, PASSWORD)).statusCode).toBe(200);
  });

  it('still stops guessing from the locked address: the right password is refused there, as a wrong one is, without a hash', async () => {
    const guesser = '203.0.113.12';
    const first = await signInFrom(guesser, ana.email, WRONG);
    for (let index = 1; index < LOGIN_THROTTLE_POLICY.freeFailures.pair + 1; index += 1) await signInFrom(guesser, ana.email, WRONG);
    const hashes = passwordHashComputations();
    const locked = await signInFrom(guesser, ana.email, PASSWORD);
    expect(locked.statusCode).toBe(401);
    expect(locked.json()).toEqual(first.json());
    expect(passwordHashComputations()).toBe(hashes);
    // An unknown email gets the same answer as a known one with a wrong password.
    const unknown = await signInFrom('203.0.113.13', 'nobody@acme.test', WRONG);
    expect([unknown.statusCode, unknown.json()]).toEqual([first.statusCode, first.json()]);
  });

  it('answers email:password floods with 429 past the budget, computing no hash, on every password route and account', async () => {
    const limited = await appWith({ passwordRateLimit: 5 });
    const flooder = '203.0.113.66';
    for (let index = 0; index < 5; index += 1) expect((await apiFrom(flooder, beta, bea.email, WRONG, limited)).statusCode).toBe(401);
    const hashes = passwordHashComputations();
    const flood = await Promise.all(
      Array.from({ length: 20 }, (_, index) => apiFrom(flooder, beta, `user${index}@beta.test`, WRONG, limited)),
    );
    for (const refused of flood) {
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('60');
      expect(refused.json()).toMatchObject({ error: 'TooManyRequests', description: expect.stringContaining('at most 5 a minute') });
    }
    // The same budget on web sign-in, another account and the staff realm (refused from memory now, after a pause).
    const [web, staff] = await Promise.all([
      signInFrom(flooder, ana.email, PASSWORD, limited),
      limited.inject({
        method: 'POST',
        url: '/ops/v1/session',
        payload: { email: 'sam@vendor.test', password: WRONG, totp: '123456' },
        remoteAddress: flooder,
      }),
    ]);
    expect([web.statusCode, staff.statusCode]).toEqual([429, 429]);
    expect(passwordHashComputations()).toBe(hashes);
    // Other addresses are not affected, and the budget comes back after a minute.
    expect((await apiFrom('198.51.100.21', beta, bea.email, PASSWORD, limited)).statusCode).toBe(200);
    deps.clock.advance(60_000);
    expect((await apiFrom(flooder, beta, bea.email, PASSWORD, limited)).statusCode).toBe(200);
  });

  it('spends the same budget on self-service changes, forced changes and reset completion', async () => {
    const limited = await appWith({ passwordRateLimit: 2 });
    const cat = await withPassword(acme, 'cat@acme.test');
    const session = await signIn(deps, acme, cat);
    const client = '203.0.113.67';
    const changeOwn = () =>
      limited.inject({
        method: 'PUT',
        url: `/api/v2/users/${cat.id}/password.json`,
        headers: session.headers,
        payload: { previous_password: WRONG, password: NEW_PASSWORD },
        remoteAddress: client,
      });
    expect((await changeOwn()).statusCode).toBe(422);
    expect((await changeOwn()).statusCode).toBe(422);
    expect((await changeOwn()).statusCode).toBe(429);
    const post = (url: string, payload: object, ip = client) =>
      limited.inject({ method: 'POST', url, headers: { host: hostOf(acme) }, payload, remoteAddress: ip });
    const reset = { token: await changeStep(cat, 'reset'), password: NEW_PASSWORD };
    const forced = { change_token: await changeStep(cat, 'forced_change'), password: NEW_PASSWORD };
    const refused = await Promise.all([post('/access/password_reset/complete', reset), post('/access/password_change', forced)]);
    expect(refused.map((response) => response.statusCode)).toEqual([429, 429]);
    expect((await post('/access/password_reset/complete', reset, '198.51.100.22')).statusCode).toBe(200);
  });

  it('sheds password checks beyond the hashing bound at once with 503 ServiceBusy and Retry-After', async () => {
    const busy = await appWith({ passwordHashConcurrency: 1 });
    let release = (): void => undefined;
    const held = withHashingSlot(1, () => new Promise<void>((resolve) => (release = resolve)));
    const hashes = passwordHashComputations();
    const shed = await signInFrom('198.51.100.23', ana.email, PASSWORD, busy);
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.json()).toMatchObject({ error: 'ServiceBusy', description: expect.stringContaining('Try again in a second') });
    expect((await apiFrom('198.51.100.23', acme, ana.email, PASSWORD, busy)).statusCode).toBe(503);
    expect(passwordHashComputations()).toBe(hashes);
    release();
    await held;
    expect((await signInFrom('198.51.100.23', ana.email, PASSWORD, busy)).statusCode).toBe(200);
  });

  it('lets one address hold at most a quarter of the hashing slots, so a burst from it leaves room for others', async () => {
    const shared = await appWith({ passwordHashConcurrency: 8 });
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = Promise.all([withHashingSlot(8, () => gate, '203.0.113.70'), withHashingSlot(8, () => gate, '203.0.113.70')]);
    const burst = await signInFrom('203.0.113.70', ana.email, PASSWORD, shared);
    expect(burst.statusCode).toBe(429);
    expect(burst.headers['retry-after']).toBe('1');
    expect((await signInFrom('198.51.100.24', ana.email, PASSWORD, shared)).statusCode).toBe(200);
    release();
    await held;
    expect((await signInFrom('203.0.113.70', ana.email, PASSWORD, shared)).statusCode).toBe(200);
  });

  it('behind one proxy (hop count 1), counts a client under the address the proxy appended, not one it wrote itself', async () => {
    const proxied = await appWith({ trustProxy: 1 });
    const response = await signInFrom('10.0.0.1', 'nobody@acme.test', WRONG, proxied, { 'x-forwarded-for': '6.6.6.6, 203.0.113.50' });
    expect(response.statusCode).toBe(401);
    const counters = await addressCounters(acme);
    expect(counters).toContain('ip:203.0.113.50');
    expect(counters).not.toContain('ip:6.6.6.6');
    expect(counters).not.toContain('ip:10.0.0.1');
  });

  it('with a list of proxies, ignores X-Forwarded-For from any other socket', async () => {
    const listed = await appWith({ trustProxy: ['10.0.0.1'] });
    await signInFrom('198.51.100.99', 'nobody@acme.test', WRONG, listed, { 'x-forwarded-for': '6.6.6.7' });
    await signInFrom('10.0.0.1', 'nobody@acme.test', WRONG, listed, { 'x-forwarded-for': '6.6.6.8, 203.0.113.51' });
    const counters = await addressCounters(acme);
    expect(counters).toEqual(expect.arrayContaining(['ip:198.51.100.99', 'ip:203.0.113.51']));
    expect(counters).not.toContain('ip:6.6.6.7');
    expect(counters).not.toContain('ip:6.6.6.8');
  });
});
