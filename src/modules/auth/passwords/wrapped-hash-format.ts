import crypto from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { parsePasswordHash, type PasswordScheme } from '../password-formats.js';

/**
 * A legacy password hash wrapped inside argon2id at rest, without the password:
 * argon2id is computed over the legacy *digest*, and the legacy parameters
 * (salt, iterations, cost) are kept beside it so that the digest can be
 * recomputed from a password at sign-in.
 *
 * ```
 * $wrapped$SCHEME$PARAMS$argon2id$v=19$...$SALT$HASH
 *                       └── an argon2id PHC string, whose leading `$` closes PARAMS
 * ```
 *
 * | SCHEME          | PARAMS                     | the digest argon2id is computed over (UTF-8 text)          |
 * |-----------------|----------------------------|------------------------------------------------------------|
 * | `sha1`          | `s=SALT`                   | the 40 lowercase hex digits of SHA-1(SALT + password)      |
 * | `sha256`        | `s=SALT`                   | the 64 lowercase hex digits of SHA-256(SALT + password)    |
 * | `pbkdf2-sha256` | `i=ITERATIONS,s=SALT`      | the 43 unpadded base64 characters of the PBKDF2 hash       |
 * | `bcrypt`        | `v=2b,c=COST,s=SALT`       | the 31 characters that end the bcrypt string (its hash)    |
 *
 * SALT is the legacy salt exactly as it was stored (for `sha1` and `sha256`
 * it may hold any character but `$` and white space); `s=` always comes last
 * and runs to the end of PARAMS. The digest is exactly the text the legacy
 * hash stored, so wrapping needs no password and verifying needs no legacy hash.
 *
 * @example
 * // $sha1$x7$<40 hex>  →  $wrapped$sha1$s=x7$argon2id$v=19$m=19456,p=1,t=2$<salt>$<hash of the 40 hex digits>
 */
export type LegacyScheme = Exclude<PasswordScheme, 'argon2id'>;

export const WRAPPED_PREFIX = '$wrapped$';

/** What is needed to recompute a legacy digest from a password. */
export type LegacyParameters =
  | { scheme: 'sha1' | 'sha256'; salt: string }
  | { scheme: 'pbkdf2-sha256'; iterations: number; salt: string }
  | { scheme: 'bcrypt'; version: string; cost: number; salt: string };

/** A legacy hash split into its parameters and its digest. */
export interface LegacyHash {
  parameters: LegacyParameters;
  digest: string;
}

export interface WrappedHash {
  parameters: LegacyParameters;
  /** The argon2id PHC string of the legacy digest. */
  inner: string;
}

/** Splits a stored legacy hash (any accepted format but argon2id); `undefined` for anything else. */
export function parseLegacyHash(stored: string): LegacyHash | undefined {
  const scheme = parsePasswordHash(stored);
  const parts = stored.split('$');
  switch (scheme) {
    case 'sha1':
    case 'sha256':
      return { parameters: { scheme, salt: parts[2] ?? '' }, digest: parts[3] ?? '' };
    case 'pbkdf2-sha256':
      return {
        parameters: { scheme, iterations: Number((parts[2] ?? '').slice('i='.length)), salt: parts[3] ?? '' },
        digest: parts[4] ?? '',
      };
    case 'bcrypt': {
      // `$2b$10$` + 22 characters of salt + 31 of hash.
      const settingLength = '$2b$10$'.length;
      return {
        parameters: { scheme, version: parts[1] ?? '', cost: Number(parts[2]), salt: stored.slice(settingLength, settingLength + 22) },
        digest: stored.slice(settingLength + 22),
      };
    }
    default:
      return undefined;
  }
}

function formatParameters(parameters: LegacyParameters): string {
  switch (parameters.scheme) {
    case 'sha1':
    case 'sha256':
      return `s=${parameters.salt}`;
    case 'pbkdf2-sha256':
      return `i=${parameters.iterations},s=${parameters.salt}`;
    case 'bcrypt':
      return `v=${parameters.version},c=${String(parameters.cost).padStart(2, '0')},s=${parameters.salt}`;
  }
}

const PARAMETER_PATTERNS: Record<LegacyScheme, RegExp> = {
  sha1: /^s=([^$\s]{1,64})$/,
  sha256: /^s=([^$\s]{1,64})$/,
  'pbkdf2-sha256': /^i=([1-9]\d{0,9}),s=([A-Za-z0-9+/]{11,})$/,
  bcrypt: /^v=(2[aby]),c=(0[4-9]|[12]\d|3[01]),s=([./A-Za-z0-9]{22})$/,
};

function parseParameters(scheme: LegacyScheme, text: string): LegacyParameters | undefined {
  const match = PARAMETER_PATTERNS[scheme].exec(text);
  if (match === null) return undefined;
  switch (scheme) {
    case 'sha1':
    case 'sha256':
      return { scheme, salt: match[1] ?? '' };
    case 'pbkdf2-sha256':
      return { scheme, iterations: Number(match[1]), salt: match[2] ?? '' };
    case 'bcrypt':
      return { scheme, version: match[1] ?? '', cost: Number(match[2]), salt: match[3] ?? '' };
  }
}

const WRAPPED_PATTERN = /^\$wrapped\$(bcrypt|pbkdf2-sha256|sha1|sha256)\$([^$\s]+)(\$argon2id\$[^\s]+)$/;

/** Reads a `$wrapped$...` hash; `undefined` when `stored` is not one. */
export function parseWrappedHash(stored: string): WrappedHash | undefined {
  const match = WRAPPED_PATTERN.exec(stored);
  if (match === null) return undefined;
  const parameters = parseParameters(match[1] as LegacyScheme, match[2] ?? '');
  return parameters === undefined ? undefined : { parameters, inner: match[3] ?? '' };
}

/** The stored text of a wrapped hash. */
export function formatWrappedHash(wrapped: WrappedHash): string {
  return `${WRAPPED_PREFIX}${wrapped.parameters.scheme}$${formatParameters(wrapped.parameters)}${wrapped.inner}`;
}

const pbkdf2 = promisify(crypto.pbkdf2);
const unpaddedBase64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');

/**
 * Recomputes the legacy digest of `password` under `parameters`, off the
 * event loop where the scheme is costly (PBKDF2 on the thread pool, bcrypt in
 * bcryptjs's asynchronous slices).
 */
export async function computeLegacyDigest(parameters: LegacyParameters, password: string): Promise<string> {
  switch (parameters.scheme) {
    case 'sha1':
    case 'sha256':
      return crypto
        .createHash(parameters.scheme)
        .update(parameters.salt + password, 'utf8')
        .digest('hex');
    case 'pbkdf2-sha256':
      return unpaddedBase64(await pbkdf2(password, Buffer.from(parameters.salt, 'base64'), parameters.iterations, 32, 'sha256'));
    case 'bcrypt': {
      const setting = `$${parameters.version}$${String(parameters.cost).padStart(2, '0')}$${parameters.salt}`;
      return (await bcrypt.hash(password, setting)).slice(-31);
    }
  }
}

/** Compares two digests without leaking where they differ. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Every digest of one scheme has the same length, so the length check leaks nothing.
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}
