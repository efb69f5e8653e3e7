import crypto from 'node:crypto';
import { argon2id, hash, verify } from 'argon2';
import { excessiveHashCost, excessiveLegacyCost } from '../password-formats.js';
import {
  computeLegacyDigest,
  digestsEqual,
  formatWrappedHash,
  parseLegacyHash,
  parseWrappedHash,
  WRAPPED_PREFIX,
  type LegacyScheme,
} from './wrapped-hash-format.js';

/**
 * argon2id at OWASP's recommended minimum (Password Storage Cheat Sheet):
 * 19 MiB of memory, 2 passes, 1 lane. Hashing runs on libuv's thread pool,
 * never on the event loop.
 */
export const ARGON2ID_PARAMETERS = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

export interface Argon2idCost {
  memoryCost: number;
  timeCost: number;
}

let currentParameters: Readonly<Argon2idCost & { parallelism: number }> = ARGON2ID_PARAMETERS;

/**
 * Sets the cost of new hashes for this process, from `RIPOSTE_PASSWORD_HASH_MEMORY_KIB`
 * and `RIPOSTE_PASSWORD_HASH_TIME_COST` (the process's composition root calls
 * it; tests set a cheap cost the same way). Verification always uses the
 * parameters stored in the hash.
 */
export function setPasswordHashCost(cost: Argon2idCost): void {
  currentParameters = Object.freeze({ ...cost, parallelism: ARGON2ID_PARAMETERS.parallelism });
}

/** The argon2id parameters new hashes get in this process. */
export const passwordHashParameters = (): Readonly<Argon2idCost & { parallelism: number }> => currentParameters;

export interface PasswordVerification {
  ok: boolean;
  /** The password is right and its stored hash is not argon2id at current parameters: re-hash it. */
  needsUpgrade: boolean;
}

let hashComputations = 0;

/** Counts one hash computation (argon2id or legacy) as it starts. */
function computing<T>(work: Promise<T>): Promise<T> {
  hashComputations += 1;
  return work;
}

/**
 * How many password hash computations (argon2id hashes and verifications,
 * legacy digests) this process has started: for tests that prove a refusal
 * computed none.
 */
export const passwordHashComputations = (): number => hashComputations;

/** How a stored hash is kept: argon2id, one of the legacy schemes, or a legacy scheme wrapped in argon2id. */
export type StoredHashKind = { kind: 'argon2id' } | { kind: 'legacy'; scheme: LegacyScheme } | { kind: 'wrapped'; scheme: LegacyScheme };

/**
 * Hashes a new password: an argon2id PHC string at the configured cost
 * (`ARGON2ID_PARAMETERS` unless set otherwise) with a fresh 16-byte salt.
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple');
 * // '$argon2id$v=19$m=19456,p=1,t=2$...$...'
 */
export async function hashPassword(password: string): Promise<string> {
  return computing(hash(password, { type: argon2id, ...currentParameters }));
}

/** The kind of a stored hash; `undefined` when it is in no format Riposte accepts. */
export function storedHashKind(stored: string): StoredHashKind | undefined {
  if (stored.startsWith('$argon2id$')) return { kind: 'argon2id' };
  if (stored.startsWith(WRAPPED_PREFIX)) {
    const wrapped = parseWrappedHash(stored);
    return wrapped === undefined ? undefined : { kind: 'wrapped', scheme: wrapped.parameters.scheme };
  }
  const legacy = parseLegacyHash(stored);
  return legacy === undefined ? undefined : { kind: 'legacy', scheme: legacy.parameters.scheme };
}

/** argon2's verify, with a malformed PHC string read as a wrong password rather than a crash. */
let argon2idVerifications = 0;

/**
 * How many argon2id verifications (real or dummy) this process has started:
 * for tests that prove every answer cost one, whatever was stored, without
 * timing it (a timed assertion fails on a loaded machine).
 */
export const passwordArgon2idVerifications = (): number => argon2idVerifications;

async function verifyArgon2(stored: string, password: string): Promise<boolean> {
  argon2idVerifications += 1;
  try {
    return await computing(verify(stored, password));
  } catch {
    return false;
  }
}

/** argon2id at least as strong as this process's cost (a stronger stored hash is kept as it is). */
const isCurrentArgon2 = (stored: string): boolean => {
  const match = /^\$argon2id\$v=(\d+)\$([^$]+)\$/.exec(stored);
  if (match === null || Number(match[1]) !== 19) return false;
  const parameters = Object.fromEntries((match[2] ?? '').split(',').map((pair) => pair.split('=') as [string, string]));
  return (
    Number(parameters.m) >= currentParameters.memoryCost &&
    Number(parameters.t) >= currentParameters.timeCost &&
    Number(parameters.p) === currentParameters.parallelism
  );
};

/** Whether verifying `stored` costs no more than `HASH_COST_CAPS`, the wrapped format's legacy and argon2id parts included. */
function withinCostCaps(stored: string, kind: StoredHashKind): boolean {
  if (kind.kind !== 'wrapped') return excessiveHashCost(stored) === undefined;
  const wrapped = parseWrappedHash(stored);
  return wrapped !== undefined && excessiveHashCost(wrapped.inner) === undefined && excessiveLegacyCost(wrapped.parameters) === undefined;
}

let dummyHash: Promise<string> | undefined;

/** An argon2id hash of a random password nobody knows, made once per process. */
function dummy(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomBytes(32).toString('base64')).catch((error: unknown) => {
    dummyHash = undefined;
    throw error;
  });
  return dummyHash;
}

/**
 * Spends one argon2id verification at current parameters and fails: what a
 * sign-in does for an unknown email, an SSO-only or inactive user, or a
 * throttled subject, so that its timing matches a wrong password.
 *
 * @example
 * if (credential === undefined) return { ok: await verifyAgainstDummy(password), needsUpgrade: false };
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyArgon2(await dummy(), password);
  return false;
}

async function verifyKnownFormat(stored: string, kind: StoredHashKind, password: string): Promise<PasswordVerification> {
  switch (kind.kind) {
    case 'argon2id': {
      const ok = await verifyArgon2(stored, password);
      return { ok, needsUpgrade: ok && !isCurrentArgon2(stored) };
    }
    case 'wrapped': {
      const wrapped = parseWrappedHash(stored);
      if (wrapped === undefined) return { ok: false, needsUpgrade: false };
      const ok = await verifyArgon2(wrapped.inner, await computing(computeLegacyDigest(wrapped.parameters, password)));
      return { ok, needsUpgrade: ok };
    }
    case 'legacy': {
      const legacy = parseLegacyHash(stored);
      if (legacy === undefined) return { ok: false, needsUpgrade: false };
      const ok = digestsEqual(await computing(computeLegacyDigest(legacy.parameters, password)), legacy.digest);
      return { ok, needsUpgrade: ok };
    }
  }
}

/**
 * Checks `password` against a stored hash in any accepted scheme: argon2id,
 * bcrypt, PBKDF2-SHA256, salted SHA-1 or SHA-256 (digests compared in
 * constant time), or a legacy hash wrapped in argon2id. `needsUpgrade` is
 * set when the password is right and the hash is anything but argon2id at
 * current parameters.
 *
 * It never answers faster than one argon2id verification at current
 * parameters: a cheap legacy hash (or an unrecognised one) is checked while a
 * dummy argon2id verification runs beside it, so that timing tells nothing
 * about which users still have legacy hashes.
 *
 * @example
 * const { ok, needsUpgrade } = await verifyStoredPassword('$sha1$x7$...', 'hunter2hunter2');
 * if (ok && needsUpgrade) await storeNewHash(await hashPassword('hunter2hunter2'));
 */
export async function verifyStoredPassword(stored: string, password: string): Promise<PasswordVerification> {
  const kind = storedHashKind(stored);
  // A hash above the cost caps (written around the import's check) is never computed: a wrong password, at a normal cost.
  if (kind === undefined || !withinCostCaps(stored, kind)) return { ok: await verifyAgainstDummy(password), needsUpgrade: false };
  if ((kind.kind === 'argon2id' && isCurrentArgon2(stored)) || kind.kind === 'wrapped') return verifyKnownFormat(stored, kind, password);
  const [verification] = await Promise.all([verifyKnownFormat(stored, kind, password), verifyAgainstDummy(password)]);
  return verification;
}

/**
 * Wraps a legacy hash inside argon2id without the password (see
 * `wrapped-hash-format.ts` for the stored format); `undefined` when `stored`
 * is not a legacy hash (argon2id, already wrapped, or unrecognised).
 *
 * @example
 * await wrapLegacyHash('$sha1$x7$' + hex); // '$wrapped$sha1$s=x7$argon2id$v=19$...'
 */
export async function wrapLegacyHash(stored: string): Promise<string | undefined> {
  const legacy = parseLegacyHash(stored);
  if (legacy === undefined) return undefined;
  return formatWrappedHash({ parameters: legacy.parameters, inner: await hashPassword(legacy.digest) });
}
