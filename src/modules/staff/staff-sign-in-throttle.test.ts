import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { createTestStaff } from '../../../test/support/staff-fixtures.js';
import { LOGIN_THROTTLE_POLICY } from '../auth/throttle/login-throttle.service.js';
import { signInStaff } from './staff.service.js';
import { totpCodeAt } from './totp.js';

describe.each(backends)('staff sign-in throttling on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
  });
  afterAll(() => database.dispose());

  /** One attempt at the clock's current time; a lock lasts seconds, so the clock only moves where a test says. */
  const attempt = async (email: string, password: string, secret: string, clientIp: string) =>
    signInStaff(deps, { email, password, totp: await totpCodeAt(secret, deps.clock.now()), clientIp }).then(
      () => 200,
      (error: { status: number }) => error.status,
    );

  it('locks an address that keeps failing, even for the right credentials, with the same 401', async () => {
    deps.clock.advance(60 * 60 * 1000);
    const sam = await createTestStaff(deps, 'sam@vendor.test', 'support');
    const attacker = '203.0.113.7';
    // Guesses spread over many emails, so only the address counter can stop them.
    for (let index = 0; index < LOGIN_THROTTLE_POLICY.freeFailures.ip + 1; index += 1)
      expect(await attempt(`guess${index}@vendor.test`, 'wrong', sam.totpSecret, attacker)).toBe(401);
    expect(await attempt(sam.email, sam.password, sam.totpSecret, attacker)).toBe(401);
    // Elsewhere the same credentials work.
    expect(await attempt(sam.email, sam.password, sam.totpSecret, '198.51.100.1')).toBe(200);
    const counters = await database.db
      .selectFrom('login_throttles')
      .select(['account_id', 'subject', 'locked_until'])
      .where('subject', '=', `ip:${attacker}`)
      .execute();
    expect(counters).toHaveLength(1);
    expect(Number(counters[0]?.account_id)).toBe(0);
    expect(counters[0]?.locked_until).not.toBeNull();
  });

  it('locks an email after repeated wrong passwords, and a success resets its counter', async () => {
    deps.clock.advance(60 * 60 * 1000);
    const olga = await createTestStaff(deps, 'olga@vendor.test', 'operator');
    const failFreely = async (): Promise<void> => {
      for (let index = 0; index < LOGIN_THROTTLE_POLICY.freeFailures.email; index += 1)
        expect(await attempt(olga.email, 'wrong', olga.totpSecret, `192.0.2.${index}`)).toBe(401);
    };
    await failFreely();
    expect(await attempt(olga.email, olga.password, olga.totpSecret, '192.0.2.200')).toBe(200);
    // The next TOTP step each time, since a code signs in once. Had the success not reset the
    // counter, these free failures would lock the email.
    deps.clock.advance(30_000);
    await failFreely();
    expect(await attempt(olga.email, olga.password, olga.totpSecret, '192.0.2.200')).toBe(200);
    deps.clock.advance(30_000);
    await failFreely();
    expect(await attempt(olga.email, 'wrong', olga.totpSecret, '192.0.2.100')).toBe(401);
    expect(await attempt(olga.email, olga.password, olga.totpSecret, '192.0.2.201')).toBe(401);
  });
});
