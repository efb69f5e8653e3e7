import { sql, type Selectable } from 'kysely';
import type { Queryable } from '../../../db/database.js';
import type { PasswordCredentialsTable } from '../../../db/schema.js';
import { supersededTierOf } from './hash-strength.js';

/** Password history entries take their ids from this sequence (`reserveIds`). */
export const PASSWORD_HISTORY_SEQUENCE = 'password_history';

export interface CredentialKey {
  accountId: number;
  userId: number;
}

/**
 * What a replacement of a hash by a stronger one of the same password keeps,
 * in the same statement: the tier the password was stored with until then
 * (`supersededTierOf`) and when, unless an earlier replacement recorded them
 * already (the first one is when the weak hash stopped being stored). An
 * exposure from before `at` still got the weak hash (`hash-strength.repo.ts`).
 */
const supersededColumns = (tier: string | undefined, at: string) =>
  tier === undefined
    ? {}
    : {
        superseded_hash_tier: sql<string>`coalesce(superseded_hash_tier, ${tier})`,
        hash_superseded_at: sql<string | null>`case when superseded_hash_tier is null then ${at} else hash_superseded_at end`,
      };

/**
 * Replaces a stored hash with another of the same password (an upgrade),
 * only if it is still `expectedHash`: a password changed meanwhile is never
 * overwritten. Returns whether it replaced it. A weaker hash replaced at
 * `at` is recorded as superseded then (see `supersededColumns`).
 */
export async function replacePasswordHash(
  db: Queryable,
  key: CredentialKey,
  expectedHash: string,
  passwordHash: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('password_credentials')
    .set({ password_hash: passwordHash, ...supersededColumns(supersededTierOf(expectedHash), at) })
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .where('password_hash', '=', expectedHash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Notes a right password on the API's `email:password` Basic auth, only if
 * the recorded use is older than `staleBefore` (or none): one write per step
 * however busy the integration, and none when another request just wrote.
 */
export async function recordPasswordApiUse(db: Queryable, key: CredentialKey, at: string, staleBefore: string): Promise<void> {
  await db
    .updateTable('password_credentials')
    .set({ api_used_at: at })
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .where((eb) => eb.or([eb('api_used_at', 'is', null), eb('api_used_at', '<', staleBefore)]))
    .execute();
}

/**
 * How many active users of each account proved a password on the API's Basic
 * auth since `since`: those whose integrations a password change breaks. One
 * statement for a page of accounts; accounts with none are absent.
 */
export async function countPasswordApiUsers(db: Queryable, accountIds: readonly number[], since: string): Promise<Map<number, number>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('password_credentials as credential')
    .innerJoin('users', (join) => join.onRef('users.account_id', '=', 'credential.account_id').onRef('users.id', '=', 'credential.user_id'))
    .select((eb) => ['credential.account_id', eb.fn.countAll<number>().as('users')])
    .where('credential.account_id', 'in', accountIds)
    .where('credential.api_used_at', '>=', since)
    .where('users.active', '=', 1)
    .groupBy('credential.account_id')
    .execute();
  return new Map(rows.map((row) => [Number(row.account_id), Number(row.users)]));
}

export async function recordLastLogin(db: Queryable, key: CredentialKey, at: string): Promise<void> {
  await db.updateTable('users').set({ last_login_at: at }).where('account_id', '=', key.accountId).where('id', '=', key.userId).execute();
}

/** The user's previous password hashes, newest first: a confidential read, for the reuse check only. */
export async function readPasswordHistoryForVerification(db: Queryable, key: CredentialKey, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('password_history')
    .select('password_hash')
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => row.password_hash);
}

export interface NewPassword {
  passwordHash: string;
  changedAt: string;
}

/**
 * Sets a new password and clears any pending forced change, only if the
 * stored hash is still `expectedHash` (`undefined`: only if the user has no
 * password yet). Returns whether it wrote. A new password also ends what
 * belonged to the old one: the record of a weaker hash it superseded, and a
 * campaign's revocation of its `email:password` API access.
 */
export async function setNewPassword(
  db: Queryable,
  key: CredentialKey,
  expectedHash: string | undefined,
  next: NewPassword,
): Promise<boolean> {
  const cleared = { must_change: 0, must_change_reason: null, must_change_incident_id: null } as const;
  if (expectedHash === undefined) {
    const result = await db
      .insertInto('password_credentials')
      .values({
        account_id: key.accountId,
        user_id: key.userId,
        password_hash: next.passwordHash,
        password_changed_at: next.changedAt,
        ...cleared,
      })
      .onConflict((conflict) => conflict.columns(['account_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }
  const result = await db
    .updateTable('password_credentials')
    .set({
      password_hash: next.passwordHash,
      password_changed_at: next.changedAt,
      ...cleared,
      superseded_hash_tier: null,
      hash_superseded_at: null,
      api_revoked_at: null,
      api_revoked_incident_id: null,
    })
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .where('password_hash', '=', expectedHash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Appends a previous hash to the user's history and keeps only the newest `keep`. */
export async function appendPasswordHistory(
  db: Queryable,
  key: CredentialKey,
  entry: { id: number; passwordHash: string; createdAt: string },
  keep: number,
): Promise<void> {
  await db
    .insertInto('password_history')
    .values({
      account_id: key.accountId,
      user_id: key.userId,
      id: entry.id,
      password_hash: entry.passwordHash,
      created_at: entry.createdAt,
    })
    .execute();
  await db
    .deleteFrom('password_history')
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .where('id', 'not in', (eb) =>
      eb
        .selectFrom('password_history')
        .select('id')
        .where('account_id', '=', key.accountId)
        .where('user_id', '=', key.userId)
        .orderBy('id', 'desc')
        .limit(keep),
    )
    .execute();
}

export type LegacyCredentialRow = Pick<Selectable<PasswordCredentialsTable>, 'account_id' | 'user_id' | 'password_hash'>;

/** Hashes in a legacy scheme, by their prefix (`LIKE` patterns); the caller parses them properly. */
const LEGACY_PREFIXES = ['$2%', '$pbkdf2-sha256$%', '$sha1$%', '$sha256$%'] as const;

/** How many stored hashes are in a legacy scheme (neither argon2id nor wrapped). */
export async function countLegacyCredentials(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('password_credentials')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where((eb) => eb.or(LEGACY_PREFIXES.map((prefix) => eb('password_hash', 'like', prefix))))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * The next `limit` credentials in a legacy scheme, in primary-key order
 * after `after`: one pass over the table however many batches it takes.
 */
export async function readLegacyCredentials(
  db: Queryable,
  input: { after: CredentialKey | undefined; limit: number },
): Promise<LegacyCredentialRow[]> {
  let query = db
    .selectFrom('password_credentials')
    .select(['account_id', 'user_id', 'password_hash'])
    .where((eb) => eb.or(LEGACY_PREFIXES.map((prefix) => eb('password_hash', 'like', prefix))));
  const { after } = input;
  if (after !== undefined)
    query = query.where((eb) => eb(eb.refTuple('account_id', 'user_id'), '>', eb.tuple(after.accountId, after.userId)));
  return query.orderBy('account_id').orderBy('user_id').limit(input.limit).execute();
}

export interface HashReplacement extends CredentialKey {
  expectedHash: string;
  passwordHash: string;
}

/**
 * Replaces many hashes in one statement (`update ... from (values ...)`),
 * each only if it is still its `expectedHash`, so that a user who signed in
 * or changed the password meanwhile keeps the new hash. Returns the
 * credentials it replaced. Five parameters a row. Each replaced hash weaker
 * than moderate is recorded as superseded at `at` (see `supersededColumns`).
 */
export async function replacePasswordHashes(db: Queryable, rows: readonly HashReplacement[], at: string): Promise<CredentialKey[]> {
  if (rows.length === 0) return [];
  // PostgreSQL and SQLite both name the columns of a VALUES list column1, column2, ...
  const values = sql.join(
    rows.map(
      (row) =>
        sql`(cast(${row.accountId} as bigint), cast(${row.userId} as bigint), ${row.expectedHash}, ${row.passwordHash}, ${supersededTierOf(row.expectedHash) ?? null})`,
    ),
  );
  const result = await sql<{ account_id: number; user_id: number }>`
    update password_credentials set password_hash = batch.column4,
      superseded_hash_tier = coalesce(password_credentials.superseded_hash_tier, batch.column5),
      hash_superseded_at = case
        when password_credentials.superseded_hash_tier is null and batch.column5 is not null then ${at}
        else password_credentials.hash_superseded_at end
    from (values ${values}) as batch
    where password_credentials.account_id = batch.column1
      and password_credentials.user_id = batch.column2
      and password_credentials.password_hash = batch.column3
    returning password_credentials.account_id, password_credentials.user_id`.execute(db);
  return result.rows.map((row) => ({ accountId: Number(row.account_id), userId: Number(row.user_id) }));
}

/** Erasure: a person's password, its history and any half-done change go. */
export async function erasePasswords(db: Queryable, key: CredentialKey): Promise<{ passwordCredentials: number; passwordHistory: number }> {
  const credentials = await db
    .deleteFrom('password_credentials')
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .executeTakeFirst();
  const history = await db
    .deleteFrom('password_history')
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .executeTakeFirst();
  await db.deleteFrom('password_change_steps').where('account_id', '=', key.accountId).where('user_id', '=', key.userId).execute();
  return { passwordCredentials: Number(credentials.numDeletedRows), passwordHistory: Number(history.numDeletedRows) };
}

const ARGON2ID = '$argon2id$%';

/**
 * Password history in legacy formats (imported bcrypt, PBKDF2, salted SHA,
 * and those wrapped in argon2id) of users whose current hash is argon2id:
 * the upgrade superseded them.
 */
const supersededLegacyHistory = (db: Queryable, cutoff: string) =>
  db
    .selectFrom('password_history as h')
    .innerJoin('password_credentials as c', (join) => join.onRef('c.account_id', '=', 'h.account_id').onRef('c.user_id', '=', 'h.user_id'))
    .where('h.password_hash', 'not like', ARGON2ID)
    .where('c.password_hash', 'like', ARGON2ID)
    .where('h.created_at', '<', cutoff);

export async function deleteSupersededLegacyHashes(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('password_history')
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'user_id', 'id'),
        'in',
        supersededLegacyHistory(db, cutoff)
          .select(['h.account_id', 'h.user_id', 'h.id'])
          .limit(limit)
          .$asTuple('account_id', 'user_id', 'id'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countSupersededLegacyHashes(db: Queryable, cutoff: string): Promise<number> {
  const row = await supersededLegacyHistory(db, cutoff)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
