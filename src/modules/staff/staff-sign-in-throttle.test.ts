import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { createTestStaff } from '../../../test/support/staff-fixtures.js';
import { passwordHashComputations } from '../auth/passwords/password-hashing.js';
import { LOGIN_THROTTLE_POLICY } from '../auth/throttle/login-throttle.service.js';
import { SUSTAINED_FAILURES_ACTION, SUSTAINED_FAILURES_POLICY } from '../auth/throttle/sustained-failures.js';
import { signInStaff } from './staff.service.js';
import { totpCodeAt } from './totp.js';

const TOTP_STEP_MS = 30_000;

describe.each(backends)('staff sign-in throttling on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  const warn = vi.fn<(details: object, message: string) => void>();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = { ...testDeps(database), log: { warn } };
  });
  afterAll(() => database.dispose());

  /** One attempt at the clock's current time, with the current TOTP code unless `totp` is given. */
  const attempt = async (email: string, password: string, secret: string, clientIp: string, totp?: string) =>
    signInStaff(deps, { email, password, totp: totp ?? (await totpCodeAt(secret, deps.clock.now())), clientIp }).then(
      () => 200,
      (error: { status: number }) => error.status,
    );
  /** A code that is not the current one (nor a neighbour), so it never verifies now. */
  const wrongCode = async (secret: string): Promise<string> => totpCodeAt(secret, new Date(deps.clock.now().getTime() - 10 * TOTP_STEP_MS));

  it('cannot be locked out by an attacker: wrong passwords from elsewhere leave the right password and code working', async () => {
    deps.clock.advance(60 * 60 * 1000);
    const olga = await createTestStaff(deps, 'olga@vendor.test', 'operator');
    // From one address, past its pair lock, and from many: the email is attacked from everywhere.
    for (let index = 0; index < LOGIN_THROTTLE_POLICY.freeFailures.pair * 3; index += 1)
      expect(await attempt(olga.email, 'wrong', olga.totpSecret, '203.0.113.7')).toBe(401);
    for (let index = 0; index < 20; index += 1) expect(await attempt(olga.email, 'wrong', olga.totpSecret, `192.0.2.${index}`)).toBe(401);
    expect(await attempt(olga.email, olga.password, olga.totpSecret, '198.51.100.1')).toBe(200);
  });

  it('refuses a locked pair without hashing unless the code is valid, and then still wants the right password', async () => {
    deps.clock.advance(60 * 60 * 1000);
    const sam = await createTestStaff(deps, 'sam@vendor.test', 'support');
    const attacker = '203.0.113.8';
    for (let index = 0; index < LOGIN_THROTTLE_POLICY.freeFailures.pair + 1; index += 1)
      expect(await attempt(sam.email, 'wrong', sam.totpSecret, attacker)).toBe(401);
    const hashes = passwordHashComputations();
    expect(await attempt(sam.email, sam.password, sam.totpSecret, attacker, await wrongCode(sam.totpSecret))).toBe(401);
    expect(await attempt(sam.email, 'wrong-again', sam.totpSecret, attacker, await wrongCode(sam.totpSecret))).toBe(401);
    expect(passwordHashComputations()).toBe(hashes);
    // A valid code buys a password check, but a wrong password is still refused.
    expect(await attempt(sam.email, 'wrong-again', sam.totpSecret, attacker)).toBe(401);
    expect(passwordHashComputations()).toBeGreaterThan(hashes);
  });

  it('lets the right password with a valid code in from a locked pair and a locked address', async () => {
    deps.clock.advance(60 * 60 * 1000);
    const ivo = await createTestStaff(deps, 'ivo@vendor.test', 'operator');
    const shared = '203.0.113.9';
    // Guesses spread over many emails lock the address; guesses at Ivo lock his pair.
    for (let index = 0; index < LOGIN_THROTTLE_POLICY.freeFailures.ip + 1; index += 1)
      expect(await attempt(`guess${index}@vendor.test`, 'wrong', ivo.totpSecret, shared)).toBe(401);
    for (let index = 0; index < LOGIN_THROTTLE_POLICY.freeFailures.pair + 1; index += 1)
      expect(await attempt(ivo.email, 'wrong', ivo.totpSecret, shared)).toBe(401);
    const locks = await database.db
      .selectFrom('login_throttles')
      .select(['account_id', 'subject', 'locked_until'])
      .where('subject', 'in', [`ip:${shared}`, `pair:${shared}|${ivo.email}`])
      .execute();
    expect(locks.map((lock) => [Number(lock.account_id), lock.locked_until !== null])).toEqual([
      [0, true],
      [0, true],
    ]);
    expect(await attempt(ivo.email, ivo.password, ivo.totpSecret, shared)).toBe(200);
  });

  it('raises one alert on the platform chain for a sustained attack on one staff member from many addresses', async () => {
    deps.clock.advance(2 * 60 * 60 * 1000);
    const uma = await createTestStaff(deps, 'uma@vendor.test', 'operator');
    warn.mockClear();
    for (let index = 0; index < SUSTAINED_FAILURES_POLICY.alertAfter.email + 10; index += 1)
      expect(await attempt(uma.email, 'wrong', uma.totpSecret, `198.18.0.${index}`)).toBe(401);
    const alerts = await database.db
      .selectFrom('audit_events')
      .select(['account_id', 'data'])
      .where('action', '=', SUSTAINED_FAILURES_ACTION)
      .where('target_type', '=', 'staff_user')
      .where('target_id', '=', String(uma.id))
      .execute();
    expect(alerts).toHaveLength(1);
    expect(Number(alerts[0]?.account_id)).toBe(0);
    expect(JSON.parse(alerts[0]?.data ?? '{}')).toMatchObject({ scope: 'email', failures: SUSTAINED_FAILURES_POLICY.alertAfter.email });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(await attempt(uma.email, uma.password, uma.totpSecret, '198.51.100.2')).toBe(200);
  });
});
