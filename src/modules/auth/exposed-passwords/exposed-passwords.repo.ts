import { chunks } from '../../../db/bulk-insert.js';
import { locksRows, type Queryable } from '../../../db/database.js';
import type { ExposedPasswordAttemptsTable, ExposedPasswordFingerprintsTable, ExposedPasswordHashesTable } from '../../../db/schema.js';

export const EXPOSED_ATTEMPT_SEQUENCE = 'exposed_password_attempts';

/** Where an exposed hash is sealed: the envelope binds the ciphertext to this place. */
export const exposedHashPlace = (row: { account_id: number; user_id: number; incident_id: number }) => ({
  accountId: Number(row.account_id),
  table: 'exposed_password_hashes',
  column: 'hash_sealed',
  rowId: `${Number(row.user_id)}.${Number(row.incident_id)}`,
});

/** A credential an incident flagged, with the hash it holds: the exposed one, or an upgrade of the same password. */
export interface FlaggedCredential {
  account_id: number;
  user_id: number;
  incident_id: number;
  password_hash: string;
}

const asFlagged = (row: { account_id: number; user_id: number; must_change_incident_id: number | null; password_hash: string }) => ({
  account_id: Number(row.account_id),
  user_id: Number(row.user_id),
  incident_id: Number(row.must_change_incident_id),
  password_hash: row.password_hash,
});

/**
 * Among `keys`, the credentials an incident flagged whose hash is not kept
 * for it yet, read in the transaction about to replace their hashes. Every
 * credential of `keys` is row-locked first (PostgreSQL), flagged or not: a
 * rotation batch flagging one meanwhile either commits before this read,
 * which then sees its flag, or waits for this transaction, after which its
 * target has a new password and is left alone.
 */
export async function flaggedCredentialsNotKept(
  db: Queryable,
  keys: ReadonlyArray<{ accountId: number; userId: number }>,
): Promise<FlaggedCredential[]> {
  const found: FlaggedCredential[] = [];
  for (const chunk of chunks(keys, 500)) {
    const rows = await db
      .selectFrom('password_credentials')
      .select(['account_id', 'user_id', 'must_change_incident_id', 'password_hash'])
      .where((eb) =>
        eb(
          eb.refTuple('account_id', 'user_id'),
          'in',
          chunk.map((key) => eb.tuple(key.accountId, key.userId)),
        ),
      )
      .$if(locksRows(db), (query) => query.forUpdate())
      .execute();
    found.push(...(await hashesNotKeptYet(db, rows.filter((row) => row.must_change_incident_id !== null).map(asFlagged))));
  }
  return found;
}

/** Among these flagged credentials, those whose user keeps no hash yet for the incident that flagged them. */
export async function hashesNotKeptYet(db: Queryable, flagged: readonly FlaggedCredential[]): Promise<FlaggedCredential[]> {
  const found: FlaggedCredential[] = [];
  for (const chunk of chunks(flagged, 500)) {
    const kept = await db
      .selectFrom('exposed_password_hashes')
      .select(['account_id', 'user_id', 'incident_id'])
      .where((eb) =>
        eb(
          eb.refTuple('account_id', 'user_id', 'incident_id'),
          'in',
          chunk.map((credential) => eb.tuple(credential.account_id, credential.user_id, credential.incident_id)),
        ),
      )
      .execute();
    const keptKeys = new Set(kept.map((row) => `${Number(row.account_id)}:${Number(row.user_id)}:${Number(row.incident_id)}`));
    found.push(...chunk.filter((credential) => !keptKeys.has(`${credential.account_id}:${credential.user_id}:${credential.incident_id}`)));
  }
  return found;
}

/** Stores sealed exposed hashes; a user already holding one for the incident keeps the first. */
export async function insertExposedHashes(db: Queryable, rows: readonly ExposedPasswordHashesTable[]): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500);
    const result = await db
      .insertInto('exposed_password_hashes')
      .values([...chunk])
      .onConflict((oc) => oc.columns(['account_id', 'user_id', 'incident_id']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

/** A user's sealed exposed hashes, newest incident first (usually none: only flagged users have any). */
export async function findExposedHashes(db: Queryable, accountId: number, userId: number): Promise<ExposedPasswordHashesTable[]> {
  const rows = await db
    .selectFrom('exposed_password_hashes')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .orderBy('incident_id', 'desc')
    .execute();
  return rows.map((row) => ({
    ...row,
    account_id: Number(row.account_id),
    user_id: Number(row.user_id),
    incident_id: Number(row.incident_id),
  }));
}

export async function insertExposedAttempt(db: Queryable, row: ExposedPasswordAttemptsTable): Promise<void> {
  await db.insertInto('exposed_password_attempts').values(row).execute();
}

/** Keeps a proven exposed password's fingerprint; the first proof of a fingerprint stays. */
export async function insertExposedFingerprint(db: Queryable, row: ExposedPasswordFingerprintsTable): Promise<void> {
  await db
    .insertInto('exposed_password_fingerprints')
    .values(row)
    .onConflict((oc) => oc.columns(['account_id', 'key_version', 'fingerprint']).doNothing())
    .execute();
}

/** The exposed password (whose, of which incident) one of `fingerprints` names in the account, if any. */
export async function findExposedFingerprint(
  db: Queryable,
  accountId: number,
  fingerprints: ReadonlyArray<{ key_version: number; fingerprint: string }>,
): Promise<{ user_id: number; incident_id: number } | undefined> {
  if (fingerprints.length === 0) return undefined;
  const rows = await db
    .selectFrom('exposed_password_fingerprints')
    .select(['key_version', 'fingerprint', 'user_id', 'incident_id'])
    .where('account_id', '=', accountId)
    .where(
      'fingerprint',
      'in',
      fingerprints.map((f) => f.fingerprint),
    )
    .execute();
  const row = rows.find((r) => fingerprints.some((f) => f.fingerprint === r.fingerprint && f.key_version === Number(r.key_version)));
  return row === undefined ? undefined : { user_id: Number(row.user_id), incident_id: Number(row.incident_id) };
}

/** Retention: attempts that occurred before `cutoff` (with the sign-in events' period), at most `limit`. */
export async function deleteExposedAttemptsBefore(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const ids = db.selectFrom('exposed_password_attempts').select('id').where('occurred_at', '<', cutoff).limit(limit);
  const result = await db.deleteFrom('exposed_password_attempts').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countExposedAttemptsBefore(db: Queryable, cutoff: string): Promise<number> {
  const row = await db
    .selectFrom('exposed_password_attempts')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('occurred_at', '<', cutoff)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** How many distinct users of the account this source presented exposed passwords of since `since` (the current attempt's user included). */
export async function distinctUsersFromSource(
  db: Queryable,
  input: { accountId: number; ip: string; since: string; userId: number },
): Promise<number> {
  const rows = await db
    .selectFrom('exposed_password_attempts')
    .select('user_id')
    .distinct()
    .where('account_id', '=', input.accountId)
    .where('ip', '=', input.ip)
    .where('occurred_at', '>=', input.since)
    .execute();
  const users = new Set(rows.map((row) => Number(row.user_id)));
  users.add(input.userId);
  return users.size;
}

export interface PendingAttempt {
  id: number;
  user_id: number;
  email: string | null;
  incident_id: number;
  channel: string;
  ip: string | null;
  stuffing: number;
  occurred_at: string;
}

/**
 * Claims the attempts no alert mail has summarised yet, up to `until`, for
 * the mail being written (one UPDATE … RETURNING: of two jobs racing, the
 * second claims none), oldest first, with each user's email.
 */
export async function claimPendingAttempts(db: Queryable, accountId: number, until: string): Promise<PendingAttempt[]> {
  const claimed = await db
    .updateTable('exposed_password_attempts')
    .set({ alerted_at: until })
    .where('account_id', '=', accountId)
    .where('alerted_at', 'is', null)
    .where('occurred_at', '<=', until)
    .returning(['id', 'user_id', 'incident_id', 'channel', 'ip', 'stuffing', 'occurred_at'])
    .execute();
  if (claimed.length === 0) return [];
  const userIds = [...new Set(claimed.map((row) => Number(row.user_id)))];
  const users = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('account_id', '=', accountId)
    .where('id', 'in', userIds)
    .execute();
  const emails = new Map(users.map((user) => [Number(user.id), user.email]));
  return claimed
    .map((row) => ({
      id: Number(row.id),
      user_id: Number(row.user_id),
      email: emails.get(Number(row.user_id)) ?? null,
      incident_id: Number(row.incident_id),
      channel: row.channel,
      ip: row.ip,
      stuffing: Number(row.stuffing),
      occurred_at: row.occurred_at,
    }))
    .sort((a, b) => (a.occurred_at === b.occurred_at ? a.id - b.id : a.occurred_at < b.occurred_at ? -1 : 1));
}

/** The vendor's active operators, who hear of every exposed-password alert. */
export async function operatorEmails(db: Queryable): Promise<string[]> {
  const rows = await db
    .selectFrom('staff_users')
    .select('email')
    .where('role', '=', 'operator')
    .where('disabled_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.email.toLowerCase());
}

/** Erasure: a user's exposed hashes, fingerprints and attempts go with them. Returns how many rows went. */
export async function eraseExposedPasswordsOf(db: Queryable, accountId: number, userId: number): Promise<number> {
  const hashes = await db
    .deleteFrom('exposed_password_hashes')
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  const attempts = await db
    .deleteFrom('exposed_password_attempts')
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  const fingerprints = await db
    .deleteFrom('exposed_password_fingerprints')
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(hashes.numDeletedRows) + Number(attempts.numDeletedRows) + Number(fingerprints.numDeletedRows);
}
