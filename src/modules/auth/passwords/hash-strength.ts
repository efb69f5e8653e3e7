import { parsePasswordHash } from '../password-formats.js';
import { parseLegacyHash, parseWrappedHash, WRAPPED_PREFIX, type LegacyParameters, type LegacyScheme } from './wrapped-hash-format.js';

/**
 * How expensive an exposed password hash is to crack, in three tiers (the
 * README's "Risk by hash strength" gives each tier's estimated cost to run a
 * guess list from published GPU benchmarks):
 *
 * | tier       | stored with                                                           |
 * |------------|-----------------------------------------------------------------------|
 * | `critical` | salted (or unsalted) SHA-1 or SHA-256: one fast digest per guess;     |
 * |            | also any hash in no format Riposte reads (nothing vouches for it)     |
 * | `high`     | PBKDF2 under 100,000 iterations, bcrypt under cost 10                 |
 * | `moderate` | PBKDF2 from 100,000 iterations, bcrypt from cost 10, argon2id at any  |
 * |            | cost, and a legacy hash wrapped in argon2id (`$wrapped$...`)          |
 *
 * The tier of a wrapped hash is that of its argon2id layer: whoever holds it
 * must compute argon2id for every guess. It was exposed as its weak inner
 * hash only if the wrapping came after the exposure, which the stored string
 * cannot tell: `password_credentials.superseded_hash_tier` and
 * `hash_superseded_at` record it (`hash-strength.repo.ts`).
 */
export const HASH_TIERS = ['critical', 'high', 'moderate'] as const;
export type HashTier = (typeof HASH_TIERS)[number];

/** Counts per tier, every tier present (zero included). */
export type HashTierCounts = Record<HashTier, number>;

/** The boundaries between `high` and `moderate`. */
export const HASH_TIER_RULES = Object.freeze({
  /** PBKDF2-SHA256 iterations from which a hash is `moderate`. */
  pbkdf2MinIterations: 100_000,
  /** bcrypt cost (log2 of its rounds) from which a hash is `moderate`. */
  bcryptMinCost: 10,
});

export type HashStrengthScheme = LegacyScheme | 'argon2id' | 'wrapped' | 'unknown';

export interface HashStrength {
  tier: HashTier;
  scheme: HashStrengthScheme;
  /**
   * The scheme's work factor: bcrypt's cost, PBKDF2's iterations, argon2id's
   * passes (`t`, its memory in `memoryKib`); null for a single digest (SHA-1,
   * SHA-256), a wrapped hash (see `inner`) or an unknown format.
   */
  cost: number | null;
  /** argon2id only: memory per hash in KiB (`m`). */
  memoryKib?: number;
  /** A wrapped hash only: the legacy hash inside it, as it was before the wrapping. */
  inner?: HashStrength;
}

/** An empty count per tier. */
export const noHashTiers = (): HashTierCounts => ({ critical: 0, high: 0, moderate: 0 });

/** The counts of several accounts added up; null when none has any (no `password_hashes` exposure among them). */
export function sumHashTiers(counts: ReadonlyArray<HashTierCounts | null>): HashTierCounts | null {
  const present = counts.filter((count): count is HashTierCounts => count !== null);
  if (present.length === 0) return null;
  const total = noHashTiers();
  for (const count of present) for (const tier of HASH_TIERS) total[tier] += count[tier];
  return total;
}

/** 0 for the weakest tier: `weakest_first` campaigns order batches by it. */
export const hashTierRank = (tier: HashTier): number => HASH_TIERS.indexOf(tier);

export const isHashTier = (value: unknown): value is HashTier =>
  typeof value === 'string' && (HASH_TIERS as readonly string[]).includes(value);

/** The strength of a legacy scheme's parameters, as kept in a legacy hash or a wrapped one. */
export function legacyHashStrength(parameters: LegacyParameters): HashStrength {
  switch (parameters.scheme) {
    case 'sha1':
    case 'sha256':
      return { tier: 'critical', scheme: parameters.scheme, cost: null };
    case 'pbkdf2-sha256':
      return {
        tier: parameters.iterations >= HASH_TIER_RULES.pbkdf2MinIterations ? 'moderate' : 'high',
        scheme: parameters.scheme,
        cost: parameters.iterations,
      };
    case 'bcrypt':
      return {
        tier: parameters.cost >= HASH_TIER_RULES.bcryptMinCost ? 'moderate' : 'high',
        scheme: parameters.scheme,
        cost: parameters.cost,
      };
  }
}

function argon2idStrength(stored: string): HashStrength {
  const fields = Object.fromEntries(
    (stored.split('$')[3] ?? '').split(',').map((pair) => [pair.slice(0, 1), Number(pair.slice(2))] as const),
  );
  return { tier: 'moderate', scheme: 'argon2id', cost: fields.t ?? null, memoryKib: fields.m ?? 0 };
}

const UNKNOWN: HashStrength = Object.freeze({ tier: 'critical', scheme: 'unknown', cost: null });

/**
 * The tier of a stored password hash as it stands, with its scheme and work
 * factor. Pure: reads only the string.
 *
 * @example
 * hashStrength(hashBcrypt('pw', 9, salt)); // { tier: 'high', scheme: 'bcrypt', cost: 9 }
 * hashStrength('$wrapped$sha1$s=x7$argon2id$...'); // { tier: 'moderate', scheme: 'wrapped', cost: null, inner: { tier: 'critical', scheme: 'sha1', cost: null } }
 */
export function hashStrength(stored: string): HashStrength {
  if (stored.startsWith(WRAPPED_PREFIX)) {
    const wrapped = parseWrappedHash(stored);
    return wrapped === undefined
      ? UNKNOWN
      : { tier: 'moderate', scheme: 'wrapped', cost: null, inner: legacyHashStrength(wrapped.parameters) };
  }
  if (parsePasswordHash(stored) === 'argon2id') return argon2idStrength(stored);
  const legacy = parseLegacyHash(stored);
  return legacy === undefined ? UNKNOWN : legacyHashStrength(legacy.parameters);
}

/**
 * The strength a stored hash was exposed with: a wrapped hash whose wrapping
 * came after the exposure was exposed as its inner legacy hash; anything else
 * as it stands.
 */
export function exposedHashStrength(stored: string, wrappedAfterExposure: boolean): HashStrength {
  const strength = hashStrength(stored);
  return wrappedAfterExposure && strength.inner !== undefined ? strength.inner : strength;
}

/**
 * What to record when `replaced` gives way to a stronger hash of the same
 * password (a wrap at rest, an upgrade at sign-in): the tier the password was
 * stored with until then, or undefined when it was `moderate` already (an
 * argon2id hash re-hashed at new parameters). A wrapped hash answers for its
 * inner legacy hash: it stood for it until the wrapping, whose time, if it
 * was not recorded, the replacement's stands in for.
 */
export function supersededTierOf(replaced: string): HashTier | undefined {
  const strength = hashStrength(replaced);
  const before = strength.inner ?? strength;
  return before.tier === 'moderate' ? undefined : before.tier;
}
