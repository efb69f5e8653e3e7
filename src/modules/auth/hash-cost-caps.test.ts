import { describe, expect, it } from 'vitest';
import { normaliseUserLine } from '../population/import-lines.parser.js';
import { excessiveHashCost, HASH_COST_CAPS, parsePasswordHash } from './password-formats.js';
import { verifyStoredPassword } from './passwords/password-hashing.js';

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA';
const ARGON_HASH = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const PBKDF2_HASH = 'A'.repeat(43);

/** Hashes whose verification one sign-in must never pay for. */
const EXPENSIVE = [
  `$argon2id$v=19$m=4194304,t=100,p=1$${SALT}$${ARGON_HASH}`,
  `$argon2id$v=19$m=19456,t=50,p=1$${SALT}$${ARGON_HASH}`,
  `$argon2id$v=19$m=19456,t=2,p=64$${SALT}$${ARGON_HASH}`,
  `$2b$31$${'a'.repeat(53)}`,
  `$2b$15$${'a'.repeat(53)}`,
  `$pbkdf2-sha256$i=100000000$${SALT}$${PBKDF2_HASH}`,
];

const USER = {
  account: 'acme',
  realm: 'core',
  role: 'agent',
  name: 'Ana',
  email: 'ana@acme.test',
  created_at: '2014-01-10T00:00:00Z',
  sso: false,
  products: ['support'],
};

describe('hash cost caps', () => {
  it('accepts real-world work factors up to the caps', () => {
    for (const hash of [
      `$argon2id$v=19$m=${HASH_COST_CAPS.argon2MemoryKib},t=3,p=4$${SALT}$${ARGON_HASH}`,
      `$2b$${HASH_COST_CAPS.bcryptCost}$${'a'.repeat(53)}`,
      `$2y$10$${'a'.repeat(53)}`,
      `$pbkdf2-sha256$i=${HASH_COST_CAPS.pbkdf2Iterations}$${SALT}$${PBKDF2_HASH}`,
    ]) {
      expect(parsePasswordHash(hash), hash).toBeDefined();
      expect(excessiveHashCost(hash), hash).toBeUndefined();
    }
  });

  it.each(EXPENSIVE)('refuses to import %s, naming the field and the cap', (hash) => {
    expect(excessiveHashCost(hash)).toMatch(/above/);
    const line = normaliseUserLine({ ...USER, password_hash: hash });
    expect(line).toEqual({
      ok: false,
      problems: [{ field: 'password_hash', message: expect.stringContaining('costs too much to verify') as unknown }],
    });
  });

  it('answers a stored hash above the caps as a wrong password, without computing it', async () => {
    // Computed, bcrypt at cost 31 alone would run for days and the first argon2id ask for 4 GiB: the test would never end.
    for (const hash of EXPENSIVE)
      expect(await verifyStoredPassword(hash, 'any password at all')).toEqual({ ok: false, needsUpgrade: false });
  });
});
