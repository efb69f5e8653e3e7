import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps, testKeyring } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { insertUser } from '../../../../test/support/identity-fixtures.js';
import type { Account, User } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { verifyAuditChains } from '../../../platform/audit/audit.service.js';
import type { FixedClock } from '../../../platform/clock.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1, hashSaltedSha256 } from '../password-formats.js';
import { LOGIN_THROTTLE_POLICY } from '../throttle/login-throttle.service.js';
import {
  hashPassword,
  passwordArgon2idVerifications,
  passwordHashParameters,
  verifyStoredPassword,
  wrapLegacyHash,
} from './password-hashing.js';
import { verifyPasswordSignIn, type PasswordSignInInput } from './password-sign-in.service.js';
import { changePassword, type PasswordServiceDeps } from './passwords.service.js';

const PASSWORD = 'tulip-orbit-canal-92';
const WRONG = 'tulip-orbit-canal-93';
const IP = '203.0.113.7';
const salt = Buffer.from('0123456789abcdef');

describe.each(backends)('password sign-in and change on %s', (backend) => {
  let database: TestDatabase;
  let deps: PasswordServiceDeps & { clock: FixedClock };
  let account: Account;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    account = await insertAccount(database.db, 'acme');
  });
  afterEach(() => database.dispose());

  async function userWithHash(
    email: string,
    passwordHash: string | undefined,
    overrides: Partial<User> = {},
    mustChange = false,
  ): Promise<User> {
    const user = await insertUser(database.db, account, email, overrides);
    if (passwordHash !== undefined) {
      await database.db
        .insertInto('password_credentials')
        .values({
          account_id: account.id,
          user_id: user.id,
          password_hash: passwordHash,
          password_changed_at: '2015-01-01T00:00:00.000Z',
          must_change: mustChange ? 1 : 0,
          must_change_reason: mustChange ? 'incident' : null,
          must_change_incident_id: null,
        })
        .execute();
    }
    return user;
  }
  const storedHash = async (user: User): Promise<string | undefined> =>
    (
      await database.db
        .selectFrom('password_credentials')
        .select('password_hash')
        .where('account_id', '=', account.id)
        .where('user_id', '=', user.id)
        .executeTakeFirst()
    )?.password_hash;
  const lastLogin = async (user: User) =>
    (
      await database.db
        .selectFrom('users')
        .select('last_login_at')
        .where('account_id', '=', account.id)
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow()
    ).last_login_at;
  const auditActions = async () =>
    (
      await database.db.selectFrom('audit_events').select(['action', 'data']).where('account_id', '=', account.id).orderBy('seq').execute()
    ).map((e) => ({
      action: e.action,
      data: JSON.parse(e.data) as Record<string, unknown>,
    }));
  const signIn = (email: string, password: string, clientIp: string | null = IP) =>
    verifyPasswordSignIn(deps, {
      account,
      realm: 'core',
      email,
      password,
      clientIp,
      channel: 'web',
      userAgent: 'vitest',
    } satisfies PasswordSignInInput);

  describe('sign-in', () => {
    it.each([
      ['bcrypt', () => hashBcrypt(PASSWORD, 4, salt)],
      ['pbkdf2-sha256', () => hashPbkdf2Sha256(PASSWORD, salt, 1000)],
      ['sha1', () => hashSaltedSha1(PASSWORD, 'x7')],
      ['sha256', () => hashSaltedSha256(PASSWORD, 'x7')],
    ])('signs in with a %s hash and upgrades it to argon2id, which still verifies', async (scheme, legacy) => {
      const user = await userWithHash('ana@acme.test', legacy());
      const result = await signIn('ANA@acme.test', PASSWORD);
      expect(result).toMatchObject({ outcome: 'ok', user: { id: user.id, last_login_at: '2026-06-01T12:00:00.000Z' } });
      const upgraded = (await storedHash(user)) ?? '';
      const { memoryCost, timeCost } = passwordHashParameters();
      expect(upgraded).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryCost},p=1,t=${timeCost}\\$`));
      expect(await verifyStoredPassword(upgraded, PASSWORD)).toEqual({ ok: true, needsUpgrade: false });
      expect(await signIn('ana@acme.test', PASSWORD)).toMatchObject({ outcome: 'ok' });
      expect(await auditActions()).toEqual([{ action: 'password.upgraded', data: { from: scheme, wrapped: false, to: 'argon2id' } }]);
      expect(await lastLogin(user)).toBe('2026-06-01T12:00:00.000Z');
      expect((await verifyAuditChains(database.db, testKeyring(database), account.id)).ok).toBe(true);
    });

    it('signs in with a wrapped hash and replaces it with plain argon2id', async () => {
      const user = await userWithHash('ana@acme.test', await wrapLegacyHash(hashSaltedSha1(PASSWORD, 'x7')));
      expect(await signIn('ana@acme.test', PASSWORD)).toMatchObject({ outcome: 'ok' });
      expect(await storedHash(user)).toMatch(/^\$argon2id\$/);
      expect(await auditActions()).toEqual([{ action: 'password.upgraded', data: { from: 'sha1', wrapped: true, to: 'argon2id' } }]);
    });

    it('leaves a current argon2id hash alone and writes no audit event', async () => {
      const hash = await hashPassword(PASSWORD);
      const user = await userWithHash('ana@acme.test', hash);
      expect(await signIn('ana@acme.test', PASSWORD)).toMatchObject({ outcome: 'ok' });
      expect(await storedHash(user)).toBe(hash);
      expect(await auditActions()).toEqual([]);
    });

    it('answers must_change only after the right password, without moving last_login_at', async () => {
      const user = await userWithHash('ana@acme.test', hashSaltedSha1(PASSWORD, 'x7'), {}, true);
      expect(await signIn('ana@acme.test', WRONG)).toEqual({ outcome: 'refused' });
      expect(await signIn('ana@acme.test', PASSWORD)).toMatchObject({ outcome: 'must_change', user: { id: user.id } });
      expect(await lastLogin(user)).toBeNull();
      // The hash was still upgraded: the password was right.
      expect(await storedHash(user)).toMatch(/^\$argon2id\$/);
    });

    it('refuses unknown email, wrong password, no password, SSO-only and inactive users alike', async () => {
      const hash = await hashPassword(PASSWORD);
      await userWithHash('ana@acme.test', hash);
      await userWithHash('sso@acme.test', hash, { sso: 1 });
      await userWithHash('gone@acme.test', hash, { active: 0 });
      await userWithHash('nopass@acme.test', undefined);
      await userWithHash('sell@acme.test', hash, { realm: 'sell' });
      for (const [email, password] of [
        ['nobody@acme.test', PASSWORD],
        ['ana@acme.test', WRONG],
        ['sso@acme.test', PASSWORD],
        ['gone@acme.test', PASSWORD],
        ['nopass@acme.test', PASSWORD],
        ['sell@acme.test', PASSWORD],
      ] as const) {
        expect(await signIn(email, password, null), email).toEqual({ outcome: 'refused' });
      }
    });

    it('performs an argon2 verification for an unknown email, as for a wrong password', async () => {
      await userWithHash('ana@acme.test', await hashPassword(PASSWORD));
      // Counted rather than timed: the same work, so the answer's time cannot tell which emails exist.
      const verificationsOf = async (email: string): Promise<number> => {
        const before = passwordArgon2idVerifications();
        expect(await signIn(email, WRONG, null)).toEqual({ outcome: 'refused' });
        return passwordArgon2idVerifications() - before;
      };
      expect(await verificationsOf('ana@acme.test')).toBe(1);
      expect(await verificationsOf('nobody@acme.test')).toBe(1);
    });

    it('locks the email from the failing address, even for the right password, and unlocks after the period', async () => {
      const user = await userWithHash('ana@acme.test', await hashPassword(PASSWORD));
      for (let i = 0; i < LOGIN_THROTTLE_POLICY.freeFailures.pair + 1; i += 1)
        expect(await signIn('ana@acme.test', WRONG)).toEqual({ outcome: 'refused' });
      expect(await signIn('ana@acme.test', PASSWORD)).toEqual({ outcome: 'refused' });
      expect(await lastLogin(user)).toBeNull();
      deps.clock.advance(2_000);
      expect(await signIn('ana@acme.test', PASSWORD)).toMatchObject({ outcome: 'ok' });
      // Success cleared the pair's counter: the next failure is free again.
      expect(await signIn('ana@acme.test', WRONG)).toEqual({ outcome: 'refused' });
      expect(await signIn('ana@acme.test', PASSWORD)).toMatchObject({ outcome: 'ok' });
    });

    it('locks an address after its free failures across emails, unknown ones included', async () => {
      await userWithHash('ana@acme.test', await hashPassword(PASSWORD));
      for (let i = 0; i < LOGIN_THROTTLE_POLICY.freeFailures.ip + 1; i += 1) await signIn(`guess${i}@acme.test`, WRONG);
      expect(await signIn('ana@acme.test', PASSWORD)).toEqual({ outcome: 'refused' });
      expect(await signIn('ana@acme.test', PASSWORD, '198.51.100.1')).toMatchObject({ outcome: 'ok' });
      // Locks are never permanent.
      deps.clock.advance(LOGIN_THROTTLE_POLICY.maxLockSeconds * 1000);
      expect(await signIn('ana@acme.test', PASSWORD)).toMatchObject({ outcome: 'ok' });
    });

    it('throttles unknown emails like known ones, so the lock reveals nothing', async () => {
      for (let i = 0; i < LOGIN_THROTTLE_POLICY.freeFailures.pair + 1; i += 1) await signIn('nobody@acme.test', WRONG, null);
      const locks = await database.db
        .selectFrom('login_throttles')
        .selectAll()
        .where('subject', '=', 'pair:unknown|nobody@acme.test')
        .execute();
      expect(locks[0]?.locked_until).not.toBeNull();
    });
  });

  describe('changing the password', () => {
    const admin = { type: 'user' as const, id: 1 };

    it('stores argon2id, clears the forced change, keeps the old hash (wrapped) in history, and audits the reason', async () => {
      const user = await userWithHash('ana@acme.test', hashSaltedSha1(PASSWORD, 'x7'), {}, true);
      const { passwordChangedAt } = await changePassword(deps, {
        account,
        user,
        newPassword: 'maple-river-stone-41',
        actor: admin,
        reason: 'forced',
      });
      expect(passwordChangedAt).toBe('2026-06-01T12:00:00.000Z');
      const credential = await database.db
        .selectFrom('password_credentials')
        .selectAll()
        .where('user_id', '=', user.id)
        .executeTakeFirstOrThrow();
      expect(credential).toMatchObject({
        must_change: 0,
        must_change_reason: null,
        must_change_incident_id: null,
        password_changed_at: passwordChangedAt,
      });
      expect(await verifyStoredPassword(credential.password_hash, 'maple-river-stone-41')).toEqual({ ok: true, needsUpgrade: false });
      const history = await database.db.selectFrom('password_history').select('password_hash').where('user_id', '=', user.id).execute();
      expect(history.map((h) => h.password_hash)).toEqual([expect.stringMatching(/^\$wrapped\$sha1\$s=x7\$argon2id\$/)]);
      expect(await auditActions()).toEqual([{ action: 'password.changed', data: { reason: 'forced' } }]);
      expect(await signIn('ana@acme.test', 'maple-river-stone-41')).toMatchObject({ outcome: 'ok' });
    });

    it('sets a first password for a user without one', async () => {
      const user = await userWithHash('ana@acme.test', undefined);
      await changePassword(deps, { account, user, newPassword: 'maple-river-stone-41', actor: admin, reason: 'admin' });
      expect(await signIn('ana@acme.test', 'maple-river-stone-41')).toMatchObject({ outcome: 'ok' });
      expect(await database.db.selectFrom('password_history').selectAll().execute()).toEqual([]);
    });

    it('refuses the current password and the last 5, allows the 6th-oldest, and keeps 5 in history', async () => {
      const user = await userWithHash('ana@acme.test', await hashPassword('spring-pass-00'));
      for (let n = 1; n <= 6; n += 1) {
        await changePassword(deps, { account, user, newPassword: `spring-pass-0${n}`, actor: admin, reason: 'self' });
      }
      for (let n = 1; n <= 6; n += 1) {
        const error = await changePassword(deps, { account, user, newPassword: `spring-pass-0${n}`, actor: admin, reason: 'self' }).catch(
          (e: unknown) => e,
        );
        expect(error, `spring-pass-0${n}`).toBeInstanceOf(AppError);
        expect((error as AppError).details).toEqual({ password: [{ rule: 'reused', description: expect.any(String) }] });
      }
      expect(await database.db.selectFrom('password_history').selectAll().where('user_id', '=', user.id).execute()).toHaveLength(5);
      await changePassword(deps, { account, user, newPassword: 'spring-pass-00', actor: admin, reason: 'self' });
      expect(await signIn('ana@acme.test', 'spring-pass-00')).toMatchObject({ outcome: 'ok' });
    });

    it('refuses a policy violation without changing anything', async () => {
      const hash = await hashPassword(PASSWORD);
      const user = await userWithHash('ana.lopez@acme.test', hash);
      await expect(
        changePassword(deps, { account, user, newPassword: 'password1234', actor: admin, reason: 'admin' }),
      ).rejects.toMatchObject({
        code: 'PasswordPolicyViolation',
        status: 422,
        details: { password: [{ rule: 'blocklisted' }] },
      });
      expect(await storedHash(user)).toBe(hash);
      expect(await auditActions()).toEqual([]);
    });

    it('checks the current password on self-service changes, throttled like a sign-in', async () => {
      const user = await userWithHash('ana@acme.test', await hashPassword(PASSWORD));
      const change = (currentPassword: string) =>
        changePassword(deps, {
          account,
          user,
          newPassword: 'maple-river-stone-41',
          actor: { type: 'user', id: user.id },
          reason: 'self',
          currentPassword,
        });
      await expect(change(WRONG)).rejects.toMatchObject({ code: 'CurrentPasswordIncorrect', status: 422 });
      for (let i = 0; i < LOGIN_THROTTLE_POLICY.freeFailures.pair; i += 1) await change(WRONG).catch(() => undefined);
      await expect(change(PASSWORD)).rejects.toMatchObject({ code: 'TooManyAttempts', status: 429, retryAfterSeconds: 2 });
      deps.clock.advance(2_000);
      await change(PASSWORD);
      expect(await signIn('ana@acme.test', 'maple-river-stone-41')).toMatchObject({ outcome: 'ok' });
    });

    it('refuses a password for an SSO-only user, explaining SSO', async () => {
      const user = await userWithHash('sso@acme.test', undefined, { sso: 1 });
      await expect(
        changePassword(deps, { account, user, newPassword: 'maple-river-stone-41', actor: admin, reason: 'admin' }),
      ).rejects.toMatchObject({
        code: 'PasswordNotAllowed',
        status: 422,
        message: expect.stringContaining('single sign-on (SSO)'),
      });
    });
  });
});
