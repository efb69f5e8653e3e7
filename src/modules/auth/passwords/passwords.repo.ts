import { sql, type Selectable } from 'kysely';
import type { Queryable } from '../../../db/database.js';
import type { PasswordCredentialsTable } from '../../../db/schema.js';

/** Password history entries take their ids from this sequence (`reserveIds`). */
export const PASSWORD_HISTORY_SEQUENCE = 'password_history';

export interface CredentialKey {
  accountId: number;
  userId: number;
}

/**
 * Replaces a stored hash with another of the same password (an upgrade),
 * only if it is still `expectedHash`: a password changed meanwhile is never
 * overwritten. Returns whether it replaced it.
 */
export async function replacePasswordHash(db: Queryable, key: CredentialKey, expectedHash: string, passwordHash: string): Promise<boolean> {
  const result = await db
    .updateTable('password_credentials')
    .set({ password_hash: passwordHash })
    .where('account_id', '=', key.accountId)
    .where('user_id', '=', key.userId)
    .where('password_hash', '=', expectedHash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
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
 * password yet). Returns whether it wrote.
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
    .set({ password_hash: next.passwordHash, password_changed_at: next.changedAt, ...cleared })
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
 * credentials it replaced. Four parameters a row.
 */
export async function replacePasswordHashes(db: Queryable, rows: readonly HashReplacement[]): Promise<CredentialKey[]> {
  if (rows.length === 0) return [];
  // PostgreSQL and SQLite both name the columns of a VALUES list column1, column2, ...
  const values = sql.join(
    rows.map((row) => sql`(cast(${row.accountId} as bigint), cast(${row.userId} as bigint), ${row.expectedHash}, ${row.passwordHash})`),
  );
  const result = await sql<{ account_id: number; user_id: number }>`
    update password_credentials set password_hash = batch.column4
    from (values ${values}) as batch
    where password_credentials.account_id = batch.column1
      and password_credentials.user_id = batch.column2
      and password_credentials.password_hash = batch.column3
    returning password_credentials.account_id, password_credentials.user_id`.execute(db);
  return result.rows.map((row) => ({ accountId: Number(row.account_id), userId: Number(row.user_id) }));
}
