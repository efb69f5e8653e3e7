import type { ExpressionBuilder, Insertable, Selectable } from 'kysely';
import { insertRows, type BulkWriteTarget } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { Database, NewUser, PasswordCredentialsTable, User, UsersTable } from '../../db/schema.js';

/** Users take their ids from this sequence (`reserveIds`); ids are unique across accounts. */
export const USER_ID_SEQUENCE = 'users';

/** A user's natural key: unique per account and realm. */
export interface UserNaturalKey {
  account_id: number;
  realm: string;
  email: string;
}

export const naturalKeyText = (key: UserNaturalKey): string => `${key.account_id}\u0000${key.realm}\u0000${key.email}`;

/**
 * Which of `keys` already exist, as `naturalKeyText` strings (possibly with
 * a few other keys of the same accounts, which no caller asks about). One
 * statement per batch: accounts `IN` and emails `IN`, answered from the
 * unique index on account, realm and email. (A row-value `IN` list would be
 * exact, but PostgreSQL expands a long one into nested ORs and runs out of
 * stack.)
 */
export async function findExistingUserKeys(db: Queryable, keys: readonly UserNaturalKey[], maxParameters: number): Promise<Set<string>> {
  const existing = new Set<string>();
  const accounts = new Set<number>();
  const emails = new Set<string>();
  const run = async (): Promise<void> => {
    if (emails.size === 0) return;
    const rows = await db
      .selectFrom('users')
      .select(['account_id', 'realm', 'email'])
      .where('account_id', 'in', [...accounts])
      .where('email', 'in', [...emails])
      .execute();
    for (const row of rows) existing.add(naturalKeyText({ account_id: Number(row.account_id), realm: row.realm, email: row.email }));
    accounts.clear();
    emails.clear();
  };
  for (const key of keys) {
    if (accounts.size + emails.size + 2 > maxParameters) await run();
    accounts.add(key.account_id);
    emails.add(key.email);
  }
  await run();
  return existing;
}

const USER_COLUMNS = [
  'account_id',
  'id',
  'realm',
  'role',
  'name',
  'email',
  'phone',
  'locale',
  'active',
  'sso',
  'products_mask',
  'created_at',
  'updated_at',
  'last_login_at',
  'external_id',
] as const satisfies ReadonlyArray<keyof NewUser>;

const CREDENTIAL_COLUMNS = [
  'account_id',
  'user_id',
  'password_hash',
  'password_changed_at',
  'must_change',
  'must_change_reason',
  'must_change_incident_id',
  'api_used_at',
  'superseded_hash_tier',
  'hash_superseded_at',
  'api_revoked_at',
  'api_revoked_incident_id',
] as const satisfies ReadonlyArray<keyof PasswordCredentialsTable>;

// A column added by a later migration must be added to the lists above: these fail to compile until it is.
const everyUserColumn: Record<Exclude<keyof UsersTable, (typeof USER_COLUMNS)[number]>, never> = {};
const everyCredentialColumn: Record<Exclude<keyof PasswordCredentialsTable, (typeof CREDENTIAL_COLUMNS)[number]>, never> = {};
void everyUserColumn;
void everyCredentialColumn;

export type NewPasswordCredential = Required<Insertable<PasswordCredentialsTable>>;

/** Inserts users (`insertRows`); the caller owns the transaction and the ids. */
export async function insertUsers(target: BulkWriteTarget, rows: readonly Required<NewUser>[]): Promise<void> {
  await insertRows(target, 'users', USER_COLUMNS, rows);
}

/** Inserts password credentials, one per user (`insertRows`). */
export async function insertPasswordCredentials(target: BulkWriteTarget, rows: readonly NewPasswordCredential[]): Promise<void> {
  await insertRows(target, 'password_credentials', CREDENTIAL_COLUMNS, rows);
}

export async function findUserById(db: Queryable, accountId: number, userId: number): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('account_id', '=', accountId).where('id', '=', userId).executeTakeFirst();
}

/** Emails are compared lower-cased: they are stored that way. */
export async function findUserByEmail(db: Queryable, accountId: number, realm: string, email: string): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('realm', '=', realm)
    .where('email', '=', email.toLowerCase())
    .executeTakeFirst();
}

/** The stored password hash and its state: a confidential read, for verification only. */
export async function getCredentialForVerification(
  db: Queryable,
  accountId: number,
  userId: number,
): Promise<Selectable<PasswordCredentialsTable> | undefined> {
  return db
    .selectFrom('password_credentials')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Deleted users leave the live list; `/deleted_users` lists them until they are erased. */
const notDeleted = (eb: ExpressionBuilder<Database, 'users'>) =>
  eb.not(
    eb.exists(
      eb
        .selectFrom('user_deletions as d')
        .select('d.user_id')
        .whereRef('d.account_id', '=', 'users.account_id')
        .whereRef('d.user_id', '=', 'users.id'),
    ),
  );

/** One page of an account's users by id: after a cursor, or at an offset. */
export async function listUsersPage(
  db: Queryable,
  accountId: number,
  window: { afterId: number | null; offset: number; limit: number },
  filter: { role?: User['role'] },
): Promise<User[]> {
  let query = db.selectFrom('users').selectAll().where('account_id', '=', accountId).where(notDeleted);
  if (filter.role !== undefined) query = query.where('role', '=', filter.role);
  if (window.afterId !== null) query = query.where('id', '>', window.afterId);
  return query.orderBy('id').limit(window.limit).offset(window.offset).execute();
}

export async function countUsers(db: Queryable, accountId: number, filter: { role?: User['role'] }): Promise<number> {
  let query = db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId)
    .where(notDeleted);
  if (filter.role !== undefined) query = query.where('role', '=', filter.role);
  return Number((await query.executeTakeFirstOrThrow()).count);
}

export async function insertUser(db: Queryable, user: Required<NewUser>): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

/**
 * Changes a live user: a deleted user's row is left as deletion left it
 * (suspended, never reinstated). The one write of users' profile and
 * `active` flag; returns false when the user is deleted or unknown.
 */
export async function updateUser(
  db: Queryable,
  accountId: number,
  userId: number,
  changes: Partial<Omit<User, 'account_id' | 'id'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set(changes)
    .where('account_id', '=', accountId)
    .where('id', '=', userId)
    .where(notDeleted)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A user and when it was deleted (null: not deleted), read together so that authenticators can refuse deleted users by the marker itself. */
export interface UserStanding {
  user: User;
  deletedAt: string | null;
}

const userStandings = (db: Queryable, accountId: number) =>
  db
    .selectFrom('users')
    .leftJoin('user_deletions as d', (join) => join.onRef('d.account_id', '=', 'users.account_id').onRef('d.user_id', '=', 'users.id'))
    .selectAll('users')
    .select('d.deleted_at as deletion_marker')
    .where('users.account_id', '=', accountId);

const standingOf = (row: (User & { deletion_marker: string | null }) | undefined): UserStanding | undefined => {
  if (row === undefined) return undefined;
  const { deletion_marker: deletedAt, ...user } = row;
  return { user, deletedAt };
};

/** A user by id with its deletion marker: for authentication. */
export async function findUserStandingById(db: Queryable, accountId: number, userId: number): Promise<UserStanding | undefined> {
  return standingOf(await userStandings(db, accountId).where('users.id', '=', userId).executeTakeFirst());
}

/** A user by email (lower-cased) and realm with its deletion marker: for authentication. */
export async function findUserStandingByEmail(
  db: Queryable,
  accountId: number,
  realm: string,
  email: string,
): Promise<UserStanding | undefined> {
  return standingOf(
    await userStandings(db, accountId).where('users.realm', '=', realm).where('users.email', '=', email.toLowerCase()).executeTakeFirst(),
  );
}

export async function recordLogin(db: Queryable, accountId: number, userId: number, at: string): Promise<void> {
  await db.updateTable('users').set({ last_login_at: at }).where('account_id', '=', accountId).where('id', '=', userId).execute();
}
