import { testKeyring } from '../../../../test/support/app.js';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { FixedClock } from '../../../platform/clock.js';
import {
  checkLoginThrottle,
  clearLoginThrottle,
  LOGIN_THROTTLE_POLICY,
  lockSeconds,
  loginThrottleSubjects,
  purgeDecayedLoginThrottles,
  recordLoginFailure,
  SIGN_IN_LOCKED_ACTION,
  throttleAddress,
  type ThrottleDeps,
  type ThrottleSubject,
} from './login-throttle.service.js';
import { SUSTAINED_FAILURES_ACTION, SUSTAINED_FAILURES_POLICY } from './sustained-failures.js';

const ACCOUNT = 7;

describe('login throttle policy', () => {
  it('is free up to the threshold, then doubles, capped at 15 minutes', () => {
    expect([1, 5, 6, 7, 8, 14, 15, 1000].map((n) => lockSeconds('pair', n))).toEqual([0, 0, 2, 4, 8, 512, 900, 900]);
    expect(lockSeconds('ip', 20)).toBe(0);
    expect(lockSeconds('ip', 21)).toBe(2);
  });

  it('keys addresses by IPv4, unmapped IPv4, or the IPv6 /64', () => {
    expect(throttleAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(throttleAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(throttleAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:0DB8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(throttleAddress('::1')).toBe('0:0:0:0::/64');
  });

  it('counts an attempt against the (email, address) pair, the address, the email and the account', () => {
    expect(loginThrottleSubjects('Ana@Acme.TEST', '203.0.113.7')).toEqual([
      { kind: 'pair', key: 'pair:203.0.113.7|ana@acme.test', email: 'ana@acme.test' },
      { kind: 'ip', key: 'ip:203.0.113.7', email: null },
      { kind: 'email', key: 'email:ana@acme.test', email: 'ana@acme.test' },
      { kind: 'account', key: 'account', email: null },
    ]);
    expect(loginThrottleSubjects('ana@acme.test', null).map((subject) => subject.key)).toEqual([
      'pair:unknown|ana@acme.test',
      'email:ana@acme.test',
      'account',
    ]);
  });
});

describe.each(backends)('login throttle on %s', (backend) => {
  let database: TestDatabase;
  let deps: ThrottleDeps & { clock: FixedClock };
  let warn: Mock<(details: object, message: string) => void>;
  const ana = loginThrottleSubjects('ana@acme.test', '203.0.113.7');
  const anaElsewhere = loginThrottleSubjects('ana@acme.test', '198.51.100.1');

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    warn = vi.fn<(details: object, message: string) => void>();
    deps = { db: database.db, clock: new FixedClock('2026-06-01T12:00:00.000Z'), keyring: testKeyring(database), log: { warn } };
  });
  afterEach(() => database.dispose());

  const fail = async (times: number, subjects: ThrottleSubject[] = ana): Promise<void> => {
    for (let i = 0; i < times; i += 1) await recordLoginFailure(deps, ACCOUNT, subjects);
  };
  const row = (subject: string) =>
    database.db
      .selectFrom('login_throttles')
      .selectAll()
      .where('account_id', '=', ACCOUNT)
      .where('subject', '=', subject)
      .executeTakeFirst();
  const alerts = () =>
    database.db.selectFrom('audit_events').select(['account_id', 'data']).where('action', '=', SUSTAINED_FAILURES_ACTION).execute();

  it('locks the pair after the free failures, for 2 s, then twice as long each time', async () => {
    await fail(LOGIN_THROTTLE_POLICY.freeFailures.pair);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: false });
    await fail(1);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: true, retryAfterSeconds: 2 });
    deps.clock.advance(2_000);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: false });
    await fail(1);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: true, retryAfterSeconds: 4 });
    expect(await row('pair:203.0.113.7|ana@acme.test')).toMatchObject({ failures: 7, locked_until: '2026-06-01T12:00:06.000Z' });
  });

  it('locks the email only from the failing address: the same email from elsewhere is free', async () => {
    await fail(LOGIN_THROTTLE_POLICY.freeFailures.pair + 5);
    expect((await checkLoginThrottle(deps, ACCOUNT, ana)).locked).toBe(true);
    expect(await checkLoginThrottle(deps, ACCOUNT, anaElsewhere)).toEqual({ locked: false });
    // The email's own counter only counts.
    expect(await row('email:ana@acme.test')).toMatchObject({ failures: 10, locked_until: null });
  });

  it('never locks for longer than 15 minutes, however many failures', async () => {
    await fail(60);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: true, retryAfterSeconds: 900 });
    deps.clock.advance(900_000);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: false });
    // The next failure locks again, still for at most 15 minutes.
    await fail(1);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: true, retryAfterSeconds: 900 });
  });

  it('forgets failures after an hour without any', async () => {
    await fail(10);
    deps.clock.advance(LOGIN_THROTTLE_POLICY.decaySeconds * 1000);
    await fail(1);
    expect(await row('pair:203.0.113.7|ana@acme.test')).toMatchObject({ failures: 1, locked_until: null });
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: false });
  });

  it('counts per address across emails, with its own threshold', async () => {
    const fromOneAddress = (n: number) => loginThrottleSubjects(`user${n}@acme.test`, '203.0.113.7');
    for (let n = 0; n < LOGIN_THROTTLE_POLICY.freeFailures.ip; n += 1) await recordLoginFailure(deps, ACCOUNT, fromOneAddress(n));
    expect(await checkLoginThrottle(deps, ACCOUNT, fromOneAddress(99))).toEqual({ locked: false });
    await recordLoginFailure(deps, ACCOUNT, fromOneAddress(21));
    expect(await checkLoginThrottle(deps, ACCOUNT, fromOneAddress(99))).toEqual({ locked: true, retryAfterSeconds: 2 });
    expect(await checkLoginThrottle(deps, ACCOUNT, loginThrottleSubjects('user99@acme.test', '198.51.100.1'))).toEqual({ locked: false });
    // Another account's counters are its own.
    expect(await checkLoginThrottle(deps, ACCOUNT + 1, fromOneAddress(99))).toEqual({ locked: false });
  });

  it('clears the pair on success but keeps the address counting', async () => {
    await fail(6);
    await clearLoginThrottle(deps, ACCOUNT, ana);
    expect(await row('pair:203.0.113.7|ana@acme.test')).toBeUndefined();
    expect(await row('ip:203.0.113.7')).toMatchObject({ failures: 6 });
  });

  it('counts concurrent failures from several callers exactly', async () => {
    await Promise.all(Array.from({ length: 8 }, () => recordLoginFailure(deps, ACCOUNT, ana)));
    expect(await row('pair:203.0.113.7|ana@acme.test')).toMatchObject({ failures: 8 });
    expect(await row('email:ana@acme.test')).toMatchObject({ failures: 8 });
  });

  it('raises one alert per window for one email failing from many addresses, and none below the threshold', async () => {
    const threshold = SUSTAINED_FAILURES_POLICY.alertAfter.email;
    const fromAddress = (n: number) => loginThrottleSubjects('ana@acme.test', `192.0.2.${n % 10}`);
    for (let n = 0; n < threshold - 1; n += 1) await recordLoginFailure(deps, ACCOUNT, fromAddress(n), { type: 'user', id: 41 });
    expect(await alerts()).toEqual([]);
    // Concurrent failures cross the threshold together: still one alert.
    await Promise.all(Array.from({ length: 6 }, (_, n) => recordLoginFailure(deps, ACCOUNT, fromAddress(n), { type: 'user', id: 41 })));
    await fail(threshold, anaElsewhere);
    const raised = await alerts();
    expect(raised).toHaveLength(1);
    expect(Number(raised[0]?.account_id)).toBe(ACCOUNT);
    const data = JSON.parse(raised[0]?.data ?? '{}') as { failures: number };
    // Whichever concurrent failure claimed the alert reports the count it saw.
    expect(data).toMatchObject({ scope: 'email', addresses: 10 });
    expect(data.failures).toBeGreaterThanOrEqual(threshold);
    const alertWarnings = () => warn.mock.calls.filter(([details]) => (details as { event?: string }).event === SUSTAINED_FAILURES_ACTION);
    expect(alertWarnings()).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ email: 'ana@acme.test', scope: 'email' }), expect.any(String));
    // The next window, still under attack: one more.
    deps.clock.advance(SUSTAINED_FAILURES_POLICY.windowSeconds * 1000);
    await fail(threshold, anaElsewhere);
    expect(await alerts()).toHaveLength(2);
  });

  it('announces a lock once per streak: the first failure that locks the pair, and the address, is a sign_in.locked security event', async () => {
    const locks = () =>
      database.db
        .selectFrom('audit_events')
        .select(['target_type', 'target_id', 'data'])
        .where('account_id', '=', ACCOUNT)
        .where('action', '=', SIGN_IN_LOCKED_ACTION)
        .orderBy('seq')
        .execute();
    const scopeOf = (data: string | null) => (JSON.parse(data ?? '{}') as { scope?: string }).scope;
    const free = LOGIN_THROTTLE_POLICY.freeFailures.pair;
    for (let n = 0; n < free; n += 1) await recordLoginFailure(deps, ACCOUNT, ana, { type: 'user', id: 41 });
    expect(await locks()).toEqual([]);
    for (let n = 0; n < 4; n += 1) await recordLoginFailure(deps, ACCOUNT, ana, { type: 'user', id: 41 });
    const announced = await locks();
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ target_type: 'user', target_id: '41' });
    expect(JSON.parse(announced[0]?.data ?? '{}')).toEqual({ scope: 'pair', failures: free + 1, locked_seconds: 2 });
    const events = await database.db.selectFrom('security_events').select(['type', 'body']).where('account_id', '=', ACCOUNT).execute();
    expect(events.map((event) => event.type)).toEqual(['sign_in.locked']);
    // The address locks after its own free failures, as one more event without a target.
    for (let n = 0; n < LOGIN_THROTTLE_POLICY.freeFailures.ip; n += 1)
      await fail(1, loginThrottleSubjects(`user${n}@acme.test`, '203.0.113.7'));
    expect((await locks()).map((lock) => [lock.target_type, scopeOf(lock.data)])).toEqual([
      ['user', 'pair'],
      [null, 'ip'],
    ]);
    // An hour without failures ends the streak; the pair's next lock is announced again.
    deps.clock.advance(LOGIN_THROTTLE_POLICY.decaySeconds * 1000 + 1000);
    await fail(free + 1);
    expect((await locks()).map((lock) => scopeOf(lock.data))).toEqual(['pair', 'ip', 'pair']);
  });

  it('purges counters that have decayed and hold no lock', async () => {
    await fail(3);
    deps.clock.advance(30 * 60_000);
    await fail(1, loginThrottleSubjects('bob@acme.test', null));
    deps.clock.advance(31 * 60_000);
    // Ana's pair, address, email and the account counter (counted again for Bob 31 minutes ago) — Ana's three go.
    expect(await purgeDecayedLoginThrottles(deps)).toBe(3);
    expect(await row('pair:unknown|bob@acme.test')).toBeDefined();
  });
});
