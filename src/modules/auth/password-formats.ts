import crypto from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * Password hash formats Riposte accepts on import. New passwords are hashed
 * with argon2id; the others are legacy formats of the era, kept as imported
 * until the user next signs in (verified, then upgraded) or until they are
 * wrapped inside argon2id at rest.
 *
 * The exact text of each format (the README lists the same):
 *
 * | scheme          | format                                                                 |
 * |-----------------|------------------------------------------------------------------------|
 * | `argon2id`      | `$argon2id$v=19$m=MEMORY_KIB,t=PASSES,p=LANES$SALT$HASH`, PHC string:  |
 * |                 | SALT and HASH unpadded standard base64 (salt >= 8 bytes, hash >= 12)   |
 * | `bcrypt`        | `$2a$`, `$2b$` or `$2y$`, a two-digit cost 04-31, `$`, then 53         |
 * |                 | characters of bcrypt's base64 (`./A-Za-z0-9`): 22 of salt, 31 of hash  |
 * | `pbkdf2-sha256` | `$pbkdf2-sha256$i=ITERATIONS$SALT$HASH`, PHC form: ITERATIONS a        |
 * |                 | positive decimal integer, SALT (>= 8 bytes) and HASH (exactly 32       |
 * |                 | bytes) unpadded standard base64 (`A-Za-z0-9+/`, no `=`); HASH is       |
 * |                 | PBKDF2-HMAC-SHA256(password, salt bytes, ITERATIONS, 32)               |
 * | `sha1`          | `$sha1$SALT$HEX`: SALT is 1-64 characters other than `$` and spaces,   |
 * |                 | HEX the 40 lowercase hex digits of SHA-1(SALT + password), UTF-8       |
 * | `sha256`        | `$sha256$SALT$HEX`: as `sha1`, HEX the 64 lowercase hex digits of      |
 * |                 | SHA-256(SALT + password)                                               |
 */
export const PASSWORD_SCHEMES = ['argon2id', 'bcrypt', 'pbkdf2-sha256', 'sha1', 'sha256'] as const;
export type PasswordScheme = (typeof PASSWORD_SCHEMES)[number];

const B64 = '[A-Za-z0-9+/]';
const FORMATS: ReadonlyArray<{ scheme: PasswordScheme; prefix: string; pattern: RegExp }> = [
  {
    scheme: 'argon2id',
    prefix: '$argon2id$',
    // node-argon2 writes the parameters as m,p,t; the PHC spec orders them m,t,p: accept any order.
    pattern: new RegExp(
      `^\\$argon2id\\$v=19\\$(?=[^$]*m=)(?=[^$]*t=)(?=[^$]*p=)[mtp]=[1-9]\\d{0,9},[mtp]=[1-9]\\d{0,9},[mtp]=[1-9]\\d{0,9}\\$${B64}{11,}\\$${B64}{16,}$`,
    ),
  },
  { scheme: 'bcrypt', prefix: '$2', pattern: /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/ },
  // 43 unpadded base64 characters are exactly 32 bytes.
  {
    scheme: 'pbkdf2-sha256',
    prefix: '$pbkdf2-sha256$',
    pattern: new RegExp(`^\\$pbkdf2-sha256\\$i=[1-9]\\d{0,9}\\$${B64}{11,}\\$${B64}{43}$`),
  },
  { scheme: 'sha1', prefix: '$sha1$', pattern: /^\$sha1\$[^$\s]{1,64}\$[0-9a-f]{40}$/ },
  { scheme: 'sha256', prefix: '$sha256$', pattern: /^\$sha256\$[^$\s]{1,64}\$[0-9a-f]{64}$/ },
];

/**
 * Recognises a stored password hash; `undefined` when it is in none of the
 * accepted formats (see the table above).
 *
 * @example
 * parsePasswordHash('$sha1$x7$' + '0'.repeat(40)); // 'sha1'
 * parsePasswordHash('5f4dcc3b5aa765d61d8327deb882cf99'); // undefined (bare MD5)
 */
export function parsePasswordHash(hash: string): PasswordScheme | undefined {
  if (typeof hash !== 'string' || !hash.startsWith('$')) return undefined;
  // Only the pattern its prefix names is tried: an import checks a million hashes.
  const format = FORMATS.find((candidate) => hash.startsWith(candidate.prefix));
  return format !== undefined && format.pattern.test(hash) ? format.scheme : undefined;
}

/**
 * The most one verification may cost. Within them: OWASP's argon2id
 * settings (up to 46 MiB), libsodium's "moderate" (64 MiB, t=3), bcrypt at
 * cost 14 (about a second) and PBKDF2-SHA256 at 1.2 million iterations
 * (Django's 2025 default). Above them one imported line would make every
 * sign-in attempt for that email hold a core or gigabytes of memory.
 */
export const HASH_COST_CAPS = Object.freeze({
  argon2MemoryKib: 65_536,
  argon2Passes: 10,
  argon2Lanes: 8,
  bcryptCost: 14,
  pbkdf2Iterations: 1_200_000,
});

/** Work factors of a legacy scheme, as the wrapped format also keeps them. */
export function excessiveLegacyCost(parameters: object): string | undefined {
  if ('cost' in parameters && typeof parameters.cost === 'number' && parameters.cost > HASH_COST_CAPS.bcryptCost)
    return `bcrypt cost ${parameters.cost} is above ${HASH_COST_CAPS.bcryptCost}`;
  if ('iterations' in parameters && typeof parameters.iterations === 'number' && parameters.iterations > HASH_COST_CAPS.pbkdf2Iterations)
    return `PBKDF2 iterations ${parameters.iterations} are above ${HASH_COST_CAPS.pbkdf2Iterations}`;
  return undefined;
}

/**
 * Why a hash in an accepted format costs more to verify than `HASH_COST_CAPS`
 * allow; `undefined` when it is within them (or not a format with a cost).
 * `scheme` is the hash's, when the caller parsed it already.
 *
 * @example
 * excessiveHashCost('$2b$31$' + 'a'.repeat(53)); // 'bcrypt cost 31 is above 14'
 */
export function excessiveHashCost(hash: string, scheme: PasswordScheme | undefined = parsePasswordHash(hash)): string | undefined {
  const parts = hash.split('$');
  if (scheme === 'bcrypt') return excessiveLegacyCost({ cost: Number(parts[2]) });
  if (scheme === 'pbkdf2-sha256') return excessiveLegacyCost({ iterations: Number((parts[2] ?? '').slice('i='.length)) });
  if (scheme !== 'argon2id') return undefined;
  const parameters = Object.fromEntries((parts[3] ?? '').split(',').map((pair) => [pair.slice(0, 1), Number(pair.slice(2))]));
  const caps = HASH_COST_CAPS;
  if ((parameters.m ?? 0) > caps.argon2MemoryKib) return `argon2id memory m=${parameters.m} KiB is above ${caps.argon2MemoryKib}`;
  if ((parameters.t ?? 0) > caps.argon2Passes) return `argon2id passes t=${parameters.t} are above ${caps.argon2Passes}`;
  if ((parameters.p ?? 0) > caps.argon2Lanes) return `argon2id lanes p=${parameters.p} are above ${caps.argon2Lanes}`;
  return undefined;
}

const unpaddedBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

/** `$sha1$SALT$HEX` of a password (legacy format, for generated populations and tests). */
export function hashSaltedSha1(password: string, salt: string): string {
  return `$sha1$${salt}$${crypto
    .createHash('sha1')
    .update(salt + password, 'utf8')
    .digest('hex')}`;
}

/** `$sha256$SALT$HEX` of a password (legacy format, for generated populations and tests). */
export function hashSaltedSha256(password: string, salt: string): string {
  return `$sha256$${salt}$${crypto
    .createHash('sha256')
    .update(salt + password, 'utf8')
    .digest('hex')}`;
}

/** `$pbkdf2-sha256$i=N$SALT$HASH` of a password with the given salt bytes (>= 8). */
export function hashPbkdf2Sha256(password: string, salt: Uint8Array, iterations: number): string {
  const derived = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return `$pbkdf2-sha256$i=${iterations}$${unpaddedBase64(salt)}$${unpaddedBase64(derived)}`;
}

/**
 * `$2b$COST$...` of a password with the given 16 salt bytes, so a seeded
 * generator gets the same hash every time (bcryptjs draws its own salt otherwise).
 */
export function hashBcrypt(password: string, cost: number, salt: Uint8Array): string {
  const rounds = String(cost).padStart(2, '0');
  return bcrypt.hashSync(password, `$2b$${rounds}$${bcrypt.encodeBase64(Array.from(salt), 16)}`);
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

/**
 * Checks a password against a hash in one of the legacy formats (every
 * scheme but argon2id, which the password service verifies). Constant-time
 * comparison; `false` for an unrecognised hash.
 */
export function verifyLegacyPassword(password: string, hash: string): boolean {
  switch (parsePasswordHash(hash)) {
    case 'bcrypt':
      return bcrypt.compareSync(password, hash);
    case 'pbkdf2-sha256': {
      const [, , params = '', salt = '', expected = ''] = hash.split('$');
      const derived = crypto.pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(params.slice('i='.length)), 32, 'sha256');
      return equalText(unpaddedBase64(derived), expected);
    }
    case 'sha1':
      return equalText(hashSaltedSha1(password, hash.split('$')[2] ?? ''), hash);
    case 'sha256':
      return equalText(hashSaltedSha256(password, hash.split('$')[2] ?? ''), hash);
    default:
      return false;
  }
}
