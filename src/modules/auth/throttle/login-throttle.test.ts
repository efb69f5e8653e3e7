import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
  throttleAddress,
  type ThrottleDeps,
  type ThrottleSubject,
} from './login-throttle.service.js';

const ACCOUNT = 7;

describe('login throttle policy', () => {
  it('is free up to the threshold, then doubles, capped at 15 minutes', () => {
    expect([1, 5, 6, 7, 8, 14, 15, 1000].map((n) => lockSeconds('email', n))).toEqual([0, 0, 2, 4, 8, 512, 900, 900]);
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
    expect(loginThrottleSubjects('Ana@Acme.TEST', '203.0.113.7')).toEqual([
      { kind: 'email', key: 'email:ana@acme.test' },
      { kind: 'ip', key: 'ip:203.0.113.7' },
    ]);
    expect(loginThrottleSubjects('ana@acme.test', null)).toEqual([{ kind: 'email', key: 'email:ana@acme.test' }]);
  });
});

describe.each(backends)('login throttle on %s', (backend) => {
  let database: TestDatabase;
  let deps: ThrottleDeps & { clock: FixedClock };
  const ana = loginThrottleSubjects('ana@acme.test', '203.0.113.7');
  const email = ana.filter((s) => s.kind === 'email');

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = { db: database.db, clock: new FixedClock('2026-06-01T12:00:00.000Z') };
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

  it('locks after the free failures, for 2 s, then twice as long each time', async () => {
    await fail(LOGIN_THROTTLE_POLICY.freeFailures.email);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: false });
    await fail(1);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: true, retryAfterSeconds: 2 });
    deps.clock.advance(2_000);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: false });
    await fail(1);
    expect(await checkLoginThrottle(deps, ACCOUNT, ana)).toEqual({ locked: true, retryAfterSeconds: 4 });
    expect(await row('email:ana@acme.test')).toMatchObject({ failures: 7, locked_until: '2026-06-01T12:00:06.000Z' });
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
    expect(await row('email:ana@acme.test')).toMatchObject({ failures: 1, locked_until: null });
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

  it('clears the email subject on success but keeps the address counting', async () => {
    await fail(6);
    await clearLoginThrottle(deps, ACCOUNT, email[0] as ThrottleSubject);
    expect(await row('email:ana@acme.test')).toBeUndefined();
    expect(await row('ip:203.0.113.7')).toMatchObject({ failures: 6 });
  });

  it('counts concurrent failures from several callers exactly', async () => {
    await Promise.all(Array.from({ length: 8 }, () => recordLoginFailure(deps, ACCOUNT, email)));
    expect(await row('email:ana@acme.test')).toMatchObject({ failures: 8 });
  });

  it('purges counters that have decayed and hold no lock', async () => {
    await fail(3);
    deps.clock.advance(30 * 60_000);
    await fail(1, loginThrottleSubjects('bob@acme.test', null));
    deps.clock.advance(31 * 60_000);
    expect(await purgeDecayedLoginThrottles(deps)).toBe(2);
    expect(await row('email:bob@acme.test')).toBeDefined();
  });
});
