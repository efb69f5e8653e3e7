import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  hashBcrypt,
  hashPbkdf2Sha256,
  hashSaltedSha1,
  hashSaltedSha256,
  parsePasswordHash,
  verifyLegacyPassword,
} from './password-formats.js';

const salt = Buffer.from('0123456789abcdef');

describe('password hash formats', () => {
  it('recognises each accepted format', () => {
    expect(parsePasswordHash('$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$Q0i3xBq7Zr5cVgW1m0nTeyuLkX2sVw8pO9aYbZc1d2E')).toBe(
      'argon2id',
    );
    expect(parsePasswordHash('$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')).toBe('bcrypt');
    expect(parsePasswordHash('$2y$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')).toBe('bcrypt');
    expect(parsePasswordHash(hashBcrypt('pw', 4, salt))).toBe('bcrypt');
    expect(parsePasswordHash(hashPbkdf2Sha256('pw', salt, 1000))).toBe('pbkdf2-sha256');
    expect(parsePasswordHash(hashSaltedSha1('pw', 'x7'))).toBe('sha1');
    expect(parsePasswordHash(hashSaltedSha256('pw', 'x7'))).toBe('sha256');
  });

  it('rejects look-alikes', () => {
    for (const hash of [
      '5f4dcc3b5aa765d61d8327deb882cf99', // bare MD5
      '$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$Q0i3xBq7Zr5cVgW1m0nTeyuLkX2sVw8pO9aYbZc1d2E', // argon2i, not argon2id
      '$argon2id$v=16$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$Q0i3xBq7Zr5cVgW1m0nTeyuLkX2sVw8pO9aYbZc1d2E',
      '$2b$03$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', // cost below 4
      '$2b$10$N9qo8uLOickgx2ZMRZoMye', // truncated
      '$pbkdf2-sha256$i=0$MDEyMzQ1Njc4OWFiY2RlZg$Wrr6hd13aMjzFKF1mtDTr3OUK77k2ePEbi6ORm6QPNo', // no iterations
      '$pbkdf2-sha256$i=1000$MDEyMzQ1Njc4OWFiY2RlZg==$Wrr6hd13aMjzFKF1mtDTr3OUK77k2ePEbi6ORm6QPNo', // padded
      '$pbkdf2-sha256$i=1000$MDEyMzQ1Njc4OWFiY2RlZg$Wrr6hd13aMjzFKF1mtDTr3OUK77k2ePEbi6ORm6QP', // hash not 32 bytes
      `$sha1$salt$${'A'.repeat(40)}`, // upper-case hex
      `$sha1$$${'a'.repeat(40)}`, // empty salt
      `$sha256$salt$${'a'.repeat(40)}`, // SHA-1 length under sha256
      '',
    ]) {
      expect(parsePasswordHash(hash), hash).toBeUndefined();
    }
  });

  it('hashes exactly as documented: hex digest of salt then password', () => {
    const sha1 = crypto.createHash('sha1').update('s4ltpassword').digest('hex');
    expect(hashSaltedSha1('password', 's4lt')).toBe(`$sha1$s4lt$${sha1}`);
    const sha256 = crypto.createHash('sha256').update('s4ltpassword').digest('hex');
    expect(hashSaltedSha256('password', 's4lt')).toBe(`$sha256$s4lt$${sha256}`);
    const derived = crypto.pbkdf2Sync('password', salt, 1000, 32, 'sha256').toString('base64').replace(/=+$/, '');
    expect(hashPbkdf2Sha256('password', salt, 1000)).toBe(`$pbkdf2-sha256$i=1000$MDEyMzQ1Njc4OWFiY2RlZg$${derived}`);
  });

  it('gives the same bcrypt hash for the same salt, and verifies every legacy scheme', () => {
    expect(hashBcrypt('pw', 4, salt)).toBe(hashBcrypt('pw', 4, salt));
    for (const hash of [
      hashBcrypt('right', 4, salt),
      hashPbkdf2Sha256('right', salt, 1000),
      hashSaltedSha1('right', 'ab'),
      hashSaltedSha256('right', 'ab'),
    ]) {
      expect(verifyLegacyPassword('right', hash), hash).toBe(true);
      expect(verifyLegacyPassword('wrong', hash), hash).toBe(false);
    }
    expect(verifyLegacyPassword('right', 'not a hash')).toBe(false);
  });
});

describe('argon2id as node-argon2 writes it', () => {
  it('is recognised whatever the order of m, t and p', async () => {
    const { hashPassword } = await import('./passwords/password-hashing.js');
    expect(parsePasswordHash(await hashPassword('correct horse battery staple'))).toBe('argon2id');
  });
});
