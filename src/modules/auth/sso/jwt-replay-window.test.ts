/**
 * A JWT sign-in token is accepted once, to the last millisecond of its
 * window: jose compares whole seconds, so a token issued at `iat` is good
 * until `iat + 181 s` (exclusive), and its replay record must outlive that,
 * on this process's clock and on a process whose clock runs ahead.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { hostOf, insertUser, signIn } from '../../../../test/support/identity-fixtures.js';
import { mintJwt } from '../../../../test/support/sso-fixtures.js';
import type { Account } from '../../../db/schema.js';
import { FixedClock } from '../../../platform/clock.js';
import { JWT_IAT_WINDOW_SECONDS } from './jwt-sso.service.js';

const SECRET = 'acme-shared-secret-0123456789-abcdefghijklmnop';
const ISSUED_AT = new Date('2026-06-01T12:00:00.000Z');
/** `ms` after the token was issued. */
const after = (ms: number): Date => new Date(ISSUED_AT.getTime() + ms);
const WINDOW_MS = JWT_IAT_WINDOW_SECONDS * 1000;

describe.each(backends)('the JWT replay window on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let acme: Account;
  const others: FastifyInstance[] = [];

  const jwt = (jti: string, issuedAt = ISSUED_AT) => mintJwt(SECRET, { jti, email: `${jti}@customer.test` }, { issuedAt });
  const signInWith = (on: FastifyInstance, token: string) =>
    on.inject({ url: `/access/jwt?jwt=${encodeURIComponent(token)}`, headers: { host: hostOf(acme) } });
  const reasonOf = (response: { json: <T>() => T }) => response.json<{ details: { reason: string } }>().details.reason;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database, new FixedClock(ISSUED_AT));
    app = await buildTestApp(deps);
    acme = await insertAccount(database.db, 'acme');
    const admin = await signIn(deps, acme, await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' }));
    const saved = await app.inject({
      method: 'PUT',
      url: '/api/v2/account/sso.json',
      headers: admin.headers,
      payload: { sso: { jwt: { enabled: true, shared_secret: SECRET, remote_login_url: 'https://idp.example.test/login' } } },
    });
    expect(saved.statusCode, saved.body).toBe(200);
  });
  afterAll(async () => {
    for (const other of others) await other.close();
    await app.close();
    await database.dispose();
  });

  it('accepts a token once in the last second of its window, refuses it again in that second, and after the window', async () => {
    const token = await jwt('last-second');
    deps.clock.set(after(WINDOW_MS + 500));
    expect((await signInWith(app, token)).statusCode).toBe(302);
    const replay = await signInWith(app, token);
    expect(replay.statusCode).toBe(401);
    expect(reasonOf(replay)).toBe('replayed');

    const edge = await jwt('last-millisecond');
    deps.clock.set(after(WINDOW_MS + 999));
    expect((await signInWith(app, edge)).statusCode).toBe(302);
    expect(reasonOf(await signInWith(app, edge))).toBe('replayed');

    const late = await jwt('one-second-late');
    deps.clock.set(after(WINDOW_MS + 1000));
    const refused = await signInWith(app, late);
    expect(refused.statusCode).toBe(401);
    expect(reasonOf(refused)).toBe('expired');
  });

  it('keeps the replay record past the window, so a process whose clock runs ahead forgets it no earlier', async () => {
    const token = await jwt('skewed');
    deps.clock.set(after(WINDOW_MS + 500));
    expect((await signInWith(app, token)).statusCode).toBe(302);
    // Another process, its clock a minute ahead, signs someone in and purges what it thinks has expired.
    const aheadDeps = testDeps(database, new FixedClock(after(WINDOW_MS + 60_500)));
    const ahead = await buildTestApp(aheadDeps);
    others.push(ahead);
    expect((await signInWith(ahead, await jwt('fresh', aheadDeps.clock.now()))).statusCode).toBe(302);
    // Back on the first process, still inside the window: the token was spent.
    deps.clock.set(after(WINDOW_MS + 600));
    const replay = await signInWith(app, token);
    expect(replay.statusCode).toBe(401);
    expect(reasonOf(replay)).toBe('replayed');
  });
});
