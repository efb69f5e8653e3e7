import { sql, type RawBuilder } from 'kysely';
import { HASH_TIER_RULES, type HashTier } from './hash-strength.js';

/*
 * The tiers of `hash-strength.ts` as SQL over `password_credentials`, for the
 * set-based work of incidents (scope counts per tier, campaign targets frozen
 * with their tier, weakest first): one CASE over the hash's prefix and cost,
 * evaluated where the rows already are, so that nothing but counts leaves
 * the database.
 *
 * Why a CASE at read time rather than a tier column written with each hash:
 * the tier that matters is the one at an incident's exposure time, not the
 * current one, so a column would still need the superseded tier beside it;
 * the CASE needs no backfill, no write path to remember it (import, demo,
 * sign-in upgrade, wrap, change, reset) and no index: it reads two
 * characters of a column the scope's query reads already.
 *
 * It reads the prefix and the cost only (`$2b$09$` → high; six digits of
 * PBKDF2's iterations, which have no leading zero, → at least 100,000): the
 * import admits well-formed hashes only, and `hash-strength.test.ts` and
 * `hash-strength.repo.test.ts` hold the two to the same answers.
 */

const BCRYPT_HIGH_COSTS = Array.from({ length: HASH_TIER_RULES.bcryptMinCost - 4 }, (_, i) => String(i + 4).padStart(2, '0'));
const BCRYPT_MODERATE_COSTS = Array.from({ length: 32 - HASH_TIER_RULES.bcryptMinCost }, (_, i) =>
  String(i + HASH_TIER_RULES.bcryptMinCost),
);
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
/**
 * `$pbkdf2-sha256$i=` is 17 characters: iterations start at 18 and have at
 * least 6 digits (>= 100,000) when characters 18 to 23 are all digits. Each
 * is checked: past a shorter count come `$` and the salt, whose base64 may
 * hold digits.
 */
const PBKDF2_ITERATIONS_AT = '$pbkdf2-sha256$i='.length + 1;
const PBKDF2_MODERATE_DIGITS = String(HASH_TIER_RULES.pbkdf2MinIterations).length;

const list = (values: readonly string[]) =>
  sql.join(
    values.map((value) => sql.lit(value)),
    sql`, `,
  );

const pbkdf2HasModerateIterations = (hash: RawBuilder<unknown>) =>
  sql.join(
    Array.from(
      { length: PBKDF2_MODERATE_DIGITS },
      (_, i) => sql`substr(${hash}, ${sql.lit(PBKDF2_ITERATIONS_AT + i)}, 1) in (${list(DIGITS)})`,
    ),
    sql` and `,
  );

/** The tier of the hash in `hashColumn` as it stands (a wrapped hash is argon2id's: moderate). */
export function storedHashTierSql(hashColumn: string): RawBuilder<HashTier> {
  const hash = sql.ref(hashColumn);
  return sql<HashTier>`(case
    when ${hash} like '$argon2id$%' or ${hash} like '$wrapped$%' then 'moderate'
    when ${hash} like '$sha1$%' or ${hash} like '$sha256$%' then 'critical'
    when ${hash} like '$2_$%' then case
      when substr(${hash}, 5, 2) in (${list(BCRYPT_HIGH_COSTS)}) then 'high'
      when substr(${hash}, 5, 2) in (${list(BCRYPT_MODERATE_COSTS)}) then 'moderate'
      else 'critical' end
    when ${hash} like '$pbkdf2-sha256$i=%' then case
      when ${pbkdf2HasModerateIterations(hash)} then 'moderate' else 'high' end
    else 'critical' end)`;
}

/**
 * The tier a credential (`alias` names `password_credentials`) was exposed
 * with, for an exposure from `asOf` on: the tier recorded when its hash was
 * replaced by a stronger one without the password changing, if that happened
 * at or after `asOf` (or at a time unknown); else the tier of the hash it
 * holds. Meaningful for credentials whose password was set before the
 * cutoff: a later password is not the exposed one.
 *
 * @example
 * db.selectFrom('password_credentials as c').select(exposedHashTierSql('c', '2016-11-01T00:00:00.000Z').as('tier'))
 */
export function exposedHashTierSql(alias: string, asOf: string): RawBuilder<HashTier> {
  const superseded = sql.ref(`${alias}.superseded_hash_tier`);
  const supersededAt = sql.ref(`${alias}.hash_superseded_at`);
  return sql<HashTier>`(case
    when ${superseded} is not null and (${supersededAt} is null or ${supersededAt} >= ${asOf}) then ${superseded}
    else ${storedHashTierSql(`${alias}.password_hash`)} end)`;
}
