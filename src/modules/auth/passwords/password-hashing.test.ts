import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../../config/config.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1, hashSaltedSha256 } from '../password-formats.js';
import {
  ARGON2ID_PARAMETERS,
  passwordArgon2idVerifications,
  passwordHashParameters,
  setPasswordHashCost,
  hashPassword,
  storedHashKind,
  verifyAgainstDummy,
  verifyStoredPassword,
  wrapLegacyHash,
} from './password-hashing.js';
import { parseWrappedHash } from './wrapped-hash-format.js';

const salt = Buffer.from('0123456789abcdef');
const PASSWORD = 'tulip-orbit-canal-92';

/** Every legacy scheme, as an import would bring it. */
const legacyHashes = (password: string): Record<string, string> => ({
  bcrypt: hashBcrypt(password, 4, salt),
  bcrypt2a: hashBcrypt(password, 4, salt).replace(/^\$2b\$/, '$2a$'),
  bcrypt2y: hashBcrypt(password, 4, salt).replace(/^\$2b\$/, '$2y$'),
  'pbkdf2-sha256': hashPbkdf2Sha256(password, salt, 1000),
  sha1: hashSaltedSha1(password, 'x7,=q'),
  sha256: hashSaltedSha256(password, 'N4cl'),
});

/** The m, t and p of a PHC string, in whatever order it lists them. */
const phcParameters = (phc: string): Record<string, number> =>
  Object.fromEntries(
    (phc.split('$')[3] ?? '').split(',').map((pair): [string, number] => {
      const [name = '', value = ''] = pair.split('=');
      return [name, Number(value)];
    }),
  );

/** The argon2id verifications `work` started. */
async function argon2idVerificationsOf(work: () => Promise<unknown>): Promise<number> {
  const before = passwordArgon2idVerifications();
  await work();
  return passwordArgon2idVerifications() - before;
}

describe('password hashing', () => {
  it('hashes with argon2id at OWASP parameters (m=19456 KiB, t=2, p=1) by default, the one test at production cost', async () => {
    const testCost = passwordHashParameters();
    const defaults = loadConfig({});
    setPasswordHashCost({ memoryCost: defaults.passwordHashMemoryKib, timeCost: defaults.passwordHashTimeCost });
    onTestFinished(() => setPasswordHashCost(testCost));
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(/^\$argon2id\$v=19\$/);
    expect(phcParameters(stored)).toEqual({ m: 19_456, t: 2, p: 1 });
    expect(ARGON2ID_PARAMETERS).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(await verifyStoredPassword(stored, PASSWORD)).toEqual({ ok: true, needsUpgrade: false });
    expect(await verifyStoredPassword(stored, `${PASSWORD}!`)).toEqual({ ok: false, needsUpgrade: false });
    expect(await hashPassword(PASSWORD)).not.toBe(stored);
  });

  it('verifies every legacy scheme and asks for an upgrade only when the password is right', async () => {
    for (const [scheme, stored] of Object.entries(legacyHashes(PASSWORD))) {
      expect(await verifyStoredPassword(stored, PASSWORD), scheme).toEqual({ ok: true, needsUpgrade: true });
      expect(await verifyStoredPassword(stored, 'tulip-orbit-canal-93'), scheme).toEqual({ ok: false, needsUpgrade: false });
    }
  });

  it('asks to upgrade argon2id weaker than the configured cost, and keeps a stronger one', async () => {
    const { hash, argon2id } = await import('argon2');
    const { memoryCost, timeCost } = passwordHashParameters();
    const older = await hash(PASSWORD, { type: argon2id, memoryCost: memoryCost - 8, timeCost, parallelism: 1 });
    expect(await verifyStoredPassword(older, PASSWORD)).toEqual({ ok: true, needsUpgrade: true });
    expect(await verifyStoredPassword(older, 'nope')).toEqual({ ok: false, needsUpgrade: false });
    const stronger = await hash(PASSWORD, { type: argon2id, memoryCost: memoryCost * 2, timeCost: timeCost + 1, parallelism: 1 });
    expect(await verifyStoredPassword(stronger, PASSWORD)).toEqual({ ok: true, needsUpgrade: false });
  });

  it('refuses unrecognised and malformed hashes without throwing', async () => {
    for (const stored of [
      '',
      '5f4dcc3b5aa765d61d8327deb882cf99',
      '$argon2id$v=19$m=19456,t=2,p=1$bad$bad',
      '$wrapped$sha1$s=ab$not-argon2',
    ]) {
      expect(await verifyStoredPassword(stored, PASSWORD), stored).toEqual({ ok: false, needsUpgrade: false });
    }
    expect(await verifyAgainstDummy(PASSWORD)).toBe(false);
  });

  it('wraps each legacy scheme without the password; the wrapped hash verifies and asks for an upgrade', async () => {
    for (const [scheme, legacy] of Object.entries(legacyHashes(PASSWORD))) {
      const wrapped = await wrapLegacyHash(legacy);
      expect(wrapped, scheme).toMatch(/^\$wrapped\$(bcrypt|pbkdf2-sha256|sha1|sha256)\$[^$\s]+\$argon2id\$v=19\$/);
      const inner = parseWrappedHash(wrapped ?? '')?.inner ?? '';
      const { memoryCost, timeCost } = passwordHashParameters();
      expect(phcParameters(inner)).toEqual({ m: memoryCost, t: timeCost, p: 1 });
      expect(storedHashKind(wrapped ?? '')).toEqual({ kind: 'wrapped', scheme: scheme.startsWith('bcrypt') ? 'bcrypt' : scheme });
      expect(await verifyStoredPassword(wrapped ?? '', PASSWORD), scheme).toEqual({ ok: true, needsUpgrade: true });
      expect(await verifyStoredPassword(wrapped ?? '', 'tulip-orbit-canal-93'), scheme).toEqual({ ok: false, needsUpgrade: false });
    }
  });

  it('documents the wrapped format: the legacy salt and parameters, then argon2id of the legacy digest', async () => {
    const sha1 = hashSaltedSha1(PASSWORD, 'x7');
    const wrapped = (await wrapLegacyHash(sha1)) ?? '';
    expect(wrapped.startsWith('$wrapped$sha1$s=x7$argon2id$v=19$')).toBe(true);
    const { verify } = await import('argon2');
    expect(await verify(parseWrappedHash(wrapped)?.inner ?? '', sha1.split('$')[3] ?? '')).toBe(true);
    expect(await wrapLegacyHash(hashPbkdf2Sha256(PASSWORD, salt, 1000))).toMatch(
      /^\$wrapped\$pbkdf2-sha256\$i=1000,s=MDEyMzQ1Njc4OWFiY2RlZg\$argon2id\$/,
    );
    expect(await wrapLegacyHash(hashBcrypt(PASSWORD, 4, salt))).toMatch(/^\$wrapped\$bcrypt\$v=2b,c=04,s=[./A-Za-z0-9]{22}\$argon2id\$/);
    // A salt edited in place no longer verifies.
    expect(await verifyStoredPassword(wrapped.replace('s=x7', 's=x8'), PASSWORD)).toEqual({ ok: false, needsUpgrade: false });
  });

  it('leaves argon2id, wrapped and unrecognised hashes unwrapped', async () => {
    const argon = await hashPassword(PASSWORD);
    const wrapped = (await wrapLegacyHash(hashSaltedSha256(PASSWORD, 'ab'))) ?? '';
    expect(await wrapLegacyHash(argon)).toBeUndefined();
    expect(await wrapLegacyHash(wrapped)).toBeUndefined();
    expect(await wrapLegacyHash('plain text')).toBeUndefined();
  });

  it('never answers a cheap legacy hash faster than an argon2id verification (timing says nothing of the scheme)', async () => {
    // Counted rather than timed: every answer runs exactly one argon2id verification, real or dummy, whatever is stored.
    const stored = { argon2id: await hashPassword(PASSWORD), ...legacyHashes(PASSWORD), unrecognised: 'not a hash', wrapped: '' };
    stored.wrapped = (await wrapLegacyHash(hashSaltedSha1(PASSWORD, 'ab'))) ?? '';
    for (const [scheme, hash] of Object.entries(stored)) {
      for (const attempt of [PASSWORD, 'wrong-password-x'])
        expect(await argon2idVerificationsOf(() => verifyStoredPassword(hash, attempt)), `${scheme} ${attempt}`).toBe(1);
    }
    expect(await argon2idVerificationsOf(() => verifyAgainstDummy('wrong-password-x'))).toBe(1);
  });
});
