import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1, hashSaltedSha256 } from '../password-formats.js';
import { hashPassword, wrapLegacyHash } from './password-hashing.js';
import { exposedHashStrength, hashStrength, hashTierRank, supersededTierOf, HASH_TIERS } from './hash-strength.js';

const salt = crypto.randomBytes(16);
const password = 'correct horse battery staple';

describe('hash strength tiers', () => {
  it('puts salted SHA-1 and SHA-256 in critical', () => {
    expect(hashStrength(hashSaltedSha1(password, 'x7'))).toEqual({ tier: 'critical', scheme: 'sha1', cost: null });
    expect(hashStrength(hashSaltedSha256(password, 'a1b2c3d4'))).toEqual({ tier: 'critical', scheme: 'sha256', cost: null });
  });

  it('splits bcrypt at cost 10: 9 is high, 10 is moderate', () => {
    expect(hashStrength(hashBcrypt(password, 4, salt))).toEqual({ tier: 'high', scheme: 'bcrypt', cost: 4 });
    expect(hashStrength(hashBcrypt(password, 9, salt))).toEqual({ tier: 'high', scheme: 'bcrypt', cost: 9 });
    expect(hashStrength(hashBcrypt(password, 10, salt))).toEqual({ tier: 'moderate', scheme: 'bcrypt', cost: 10 });
  });

  it('splits PBKDF2 at 100,000 iterations: 99,999 is high, 100,000 is moderate', () => {
    expect(hashStrength(hashPbkdf2Sha256(password, salt, 1))).toEqual({ tier: 'high', scheme: 'pbkdf2-sha256', cost: 1 });
    expect(hashStrength(hashPbkdf2Sha256(password, salt, 99_999))).toEqual({ tier: 'high', scheme: 'pbkdf2-sha256', cost: 99_999 });
    expect(hashStrength(hashPbkdf2Sha256(password, salt, 100_000))).toEqual({
      tier: 'moderate',
      scheme: 'pbkdf2-sha256',
      cost: 100_000,
    });
  });

  it('puts argon2id in moderate at any cost, with its passes and memory', async () => {
    const stored = await hashPassword(password);
    const strength = hashStrength(stored);
    expect(strength).toMatchObject({ tier: 'moderate', scheme: 'argon2id' });
    expect(strength.cost).toBeGreaterThanOrEqual(1);
    expect(strength.memoryKib).toBeGreaterThanOrEqual(1024);
  });

  it('rates a wrapped hash by its argon2id layer, and keeps the inner legacy hash for exposures before the wrapping', async () => {
    for (const [legacy, inner] of [
      [hashSaltedSha1(password, 'x7'), { tier: 'critical', scheme: 'sha1', cost: null }],
      [hashSaltedSha256(password, 'x7'), { tier: 'critical', scheme: 'sha256', cost: null }],
      [hashBcrypt(password, 9, salt), { tier: 'high', scheme: 'bcrypt', cost: 9 }],
      [hashBcrypt(password, 10, salt), { tier: 'moderate', scheme: 'bcrypt', cost: 10 }],
      [hashPbkdf2Sha256(password, salt, 99_999), { tier: 'high', scheme: 'pbkdf2-sha256', cost: 99_999 }],
    ] as const) {
      const wrapped = (await wrapLegacyHash(legacy)) ?? '';
      expect(wrapped.startsWith('$wrapped$')).toBe(true);
      expect(hashStrength(wrapped)).toEqual({ tier: 'moderate', scheme: 'wrapped', cost: null, inner });
      expect(exposedHashStrength(wrapped, false).tier).toBe('moderate');
      expect(exposedHashStrength(wrapped, true)).toEqual(inner);
      expect(supersededTierOf(wrapped)).toBe(inner.tier === 'moderate' ? undefined : inner.tier);
      expect(supersededTierOf(legacy)).toBe(inner.tier === 'moderate' ? undefined : inner.tier);
    }
  });

  it('treats a hash in no readable format as critical', () => {
    for (const stored of ['5f4dcc3b5aa765d61d8327deb882cf99', '$2b$03$short', '$wrapped$sha1$broken', '']) {
      expect(hashStrength(stored)).toEqual({ tier: 'critical', scheme: 'unknown', cost: null });
    }
  });

  it('ranks tiers weakest first', () => {
    expect(HASH_TIERS.map(hashTierRank)).toEqual([0, 1, 2]);
    expect(supersededTierOf('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')).toBeUndefined();
  });
});
