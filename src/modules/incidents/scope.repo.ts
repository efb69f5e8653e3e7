import { sql, type Selectable } from 'kysely';
import { chunks, rowsPerStatement } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { ScopeAccountsTable, ScopeVersionsTable } from '../../db/schema.js';
import { exposedHashTierSql } from '../auth/passwords/hash-strength.repo.js';
import type { HashTier } from '../auth/passwords/hash-strength.js';
import { compileUserSelector, selectAccountsMatching, selectSelectorRecords, toSelectorRecord } from './selectors/selector.compile.js';
import type { SelectorRecord } from './selectors/selector.explain.js';
import { userClauses, type Selector } from './selectors/selector.model.js';
import type { ExposureCategory, ExposureTarget } from './exposures.model.js';

export type ScopeVersionRow = Selectable<ScopeVersionsTable>;
export type ScopeAccountRow = Selectable<ScopeAccountsTable>;

/** An exposure as the scope queries read it. */
export interface ScopeSource {
  category: ExposureCategory;
  target: ExposureTarget;
}

/** The selector of a user-level exposure (one that tests user fields), else undefined. */
export const userSelectorOf = (target: ExposureTarget): Selector | undefined =>
  target.kind === 'selector' && userClauses(target.selector).length > 0 ? target.selector : undefined;

// Categories are validated constants (EXPOSURE_CATEGORIES): a literal is safe and types alike on both backends.
const categoryLiteral = (category: ExposureCategory) => sql<string>`${sql.lit(category)}`.as('category');

/**
 * The users an exposure reaches, as (account_id, user_id, role, category):
 * those a user selector matches, or every user of the accounts an account
 * selector or a list names.
 */
function usersOf(db: Queryable, source: ScopeSource) {
  const { target } = source;
  const columns = [
    'users.account_id as account_id',
    'users.id as user_id',
    'users.role as role',
    categoryLiteral(source.category),
  ] as const;
  const userSelector = userSelectorOf(target);
  if (userSelector !== undefined) return compileUserSelector(db, userSelector).select(columns);
  const users = db.selectFrom('users').select(columns);
  return target.kind === 'selector'
    ? users.where('users.account_id', 'in', selectAccountsMatching(db, target.selector))
    : users.where('users.account_id', 'in', target.accountIds);
}

/** The accounts an exposure reaches, as (account_id, category). */
function accountsOf(db: Queryable, source: ScopeSource) {
  const { target } = source;
  const userSelector = userSelectorOf(target);
  if (userSelector !== undefined)
    return compileUserSelector(db, userSelector).select(['users.account_id as account_id', categoryLiteral(source.category)]);
  const accounts = db.selectFrom('accounts').select(['accounts.id as account_id', categoryLiteral(source.category)]);
  return target.kind === 'selector'
    ? accounts.where('accounts.id', 'in', selectAccountsMatching(db, target.selector))
    : accounts.where('accounts.id', 'in', target.accountIds);
}

function unionOf<T extends { union: (other: T) => T }>(queries: readonly T[]): T | undefined {
  return queries.reduce<T | undefined>((joined, query) => (joined === undefined ? query : joined.union(query)), undefined);
}

export interface UserScopeCounts {
  /** Per account and category: the distinct users matched. */
  records: Array<{ account_id: number; category: string; users: number }>;
  /** Per account: the distinct people matched by any user-level exposure. */
  people: Array<{ account_id: number; agents: number; end_users: number }>;
}

/**
 * Counts the users that user-level exposures reach: the union (UNION drops
 * a user matched twice for the same category) of the exposures' compiled
 * selectors, grouped per account and category, then per account over the
 * distinct people. Two grouped statements; no row leaves the database.
 */
export async function countUserScope(db: Queryable, sources: readonly ScopeSource[]): Promise<UserScopeCounts> {
  const union = unionOf(sources.map((source) => usersOf(db, source)));
  if (union === undefined) return { records: [], people: [] };
  const records = await db
    .selectFrom(union.as('m'))
    .select((eb) => ['m.account_id', 'm.category', eb.fn.countAll<number>().as('users')])
    .groupBy(['m.account_id', 'm.category'])
    .execute();
  const distinctPeople = db.selectFrom(union.as('m')).select(['m.account_id', 'm.user_id', 'm.role']).distinct().as('p');
  const people = await db
    .selectFrom(distinctPeople)
    .select((eb) => [
      'p.account_id',
      eb.fn.sum<number>(eb.case().when('p.role', 'in', ['agent', 'admin']).then(1).else(0).end()).as('agents'),
      eb.fn.sum<number>(eb.case().when('p.role', '=', 'end-user').then(1).else(0).end()).as('end_users'),
    ])
    .groupBy('p.account_id')
    .execute();
  return {
    records: records.map((row) => ({ account_id: Number(row.account_id), category: String(row.category), users: Number(row.users) })),
    people: people.map((row) => ({ account_id: Number(row.account_id), agents: Number(row.agents), end_users: Number(row.end_users) })),
  };
}

/**
 * Per account and hash tier, the password credentials the `password_hashes`
 * exposures reach that were exposed: users the union of those exposures
 * matches (each once) whose password was set before the cutoff (a later one
 * is not the exposed one), each with the tier it was exposed with from
 * `hashesAsOf` on (`exposedHashTierSql`). One grouped statement; only the
 * counts come back.
 */
export async function countExposedHashTiers(
  db: Queryable,
  sources: readonly ScopeSource[],
  cutoff: string,
  hashesAsOf: string,
): Promise<Array<{ account_id: number; tier: HashTier; credentials: number }>> {
  const union = unionOf(sources.filter((source) => source.category === 'password_hashes').map((source) => usersOf(db, source)));
  if (union === undefined) return [];
  const rows = await db
    .selectFrom(union.as('m'))
    .innerJoin('password_credentials as c', (join) => join.onRef('c.account_id', '=', 'm.account_id').onRef('c.user_id', '=', 'm.user_id'))
    .select((eb) => ['m.account_id', exposedHashTierSql('c', hashesAsOf).as('tier'), eb.fn.countAll<number>().as('credentials')])
    .where('c.password_changed_at', '<', cutoff)
    .groupBy([sql`2`, 'm.account_id'])
    .execute();
  return rows.map((row) => ({ account_id: Number(row.account_id), tier: row.tier, credentials: Number(row.credentials) }));
}

/** The distinct (account, category) pairs the exposures reach. */
export async function listScopedAccounts(
  db: Queryable,
  sources: readonly ScopeSource[],
): Promise<Array<{ account_id: number; category: string }>> {
  const union = unionOf(sources.map((source) => accountsOf(db, source)));
  if (union === undefined) return [];
  const rows = await db.selectFrom(union.as('m')).select(['m.account_id', 'm.category']).execute();
  return rows.map((row) => ({ account_id: Number(row.account_id), category: String(row.category) }));
}

/**
 * Per account the exposures reach for `app_secrets`: installations made
 * before the cutoff with a secure setting last set before it, the rule of
 * the apps inventory (`installation-exposure.service.ts`), grouped.
 */
export async function countStaleInstallations(
  db: Queryable,
  sources: readonly ScopeSource[],
  cutoff: string,
): Promise<Array<{ account_id: number; installations: number }>> {
  const union = unionOf(sources.map((source) => accountsOf(db, source)));
  if (union === undefined) return [];
  const rows = await db
    .selectFrom('app_installations as i')
    .select((eb) => ['i.account_id', eb.fn.countAll<number>().as('installations')])
    .where('i.account_id', 'in', db.selectFrom(union.as('m')).select('m.account_id'))
    .where('i.created_at', '<', cutoff)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('installation_secrets as s')
          .select('s.field')
          .whereRef('s.account_id', '=', 'i.account_id')
          .whereRef('s.installation_id', '=', 'i.id')
          .where('s.set_at', '<', cutoff),
      ),
    )
    .groupBy('i.account_id')
    .execute();
  return rows.map((row) => ({ account_id: Number(row.account_id), installations: Number(row.installations) }));
}

export async function nextScopeVersion(db: Queryable, incidentId: number): Promise<number> {
  const row = await db
    .selectFrom('scope_versions')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
  return Number(row?.version ?? 0) + 1;
}

/** Writes a whole snapshot: its version row and its accounts, in multi-row statements. */
export async function insertScopeSnapshot(
  db: Queryable,
  version: ScopeVersionRow,
  accounts: readonly ScopeAccountRow[],
  maxParameters: number,
): Promise<void> {
  await db.insertInto('scope_versions').values(version).execute();
  for (const batch of chunks(accounts, rowsPerStatement(8, maxParameters))) {
    await db.insertInto('scope_accounts').values(batch).execute();
  }
}

export async function findScopeVersion(
  db: Queryable,
  incidentId: number,
  version: number | undefined,
): Promise<ScopeVersionRow | undefined> {
  let query = db.selectFrom('scope_versions').selectAll().where('incident_id', '=', incidentId);
  query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
  return query.executeTakeFirst();
}

export async function listScopeAccounts(
  db: Queryable,
  incidentId: number,
  version: number,
  accountId?: number,
): Promise<Array<ScopeAccountRow & { subdomain: string }>> {
  let query = db
    .selectFrom('scope_accounts')
    .innerJoin('accounts', 'accounts.id', 'scope_accounts.account_id')
    .selectAll('scope_accounts')
    .select('accounts.subdomain')
    .where('scope_accounts.incident_id', '=', incidentId)
    .where('scope_accounts.version', '=', version);
  if (accountId !== undefined) query = query.where('scope_accounts.account_id', '=', accountId);
  return query.orderBy('accounts.subdomain').execute();
}

export async function findAccountBySubdomain(db: Queryable, subdomain: string) {
  return db
    .selectFrom('accounts')
    .select(['id', 'subdomain', 'status', 'activated_at', 'created_at', 'products_mask'])
    .where('subdomain', '=', subdomain)
    .executeTakeFirst();
}

/** The selector records of an account's users with this email (one per realm). */
export async function findSelectorRecordsByEmail(
  db: Queryable,
  accountId: number,
  email: string,
): Promise<Array<{ userId: number; realm: string; record: SelectorRecord }>> {
  const rows = await selectSelectorRecords(db)
    .where('users.account_id', '=', accountId)
    .where('users.email', '=', email.toLowerCase())
    .orderBy('users.id')
    .execute();
  return rows.map((row) => ({ userId: Number(row.id), realm: row.realm, record: toSelectorRecord(row) }));
}

/** How many of an account's users a user selector matches. */
export async function countMatchingUsersInAccount(db: Queryable, selector: Selector, accountId: number): Promise<number> {
  const row = await compileUserSelector(db, selector)
    .where('users.account_id', '=', accountId)
    .select((eb) => eb.fn.countAll<number>().as('users'))
    .executeTakeFirstOrThrow();
  return Number(row.users);
}
