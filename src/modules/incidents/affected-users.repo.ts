import { sql } from 'kysely';
import type { Queryable } from '../../db/database.js';
import { PRODUCTS, type Product } from '../../platform/products.js';
import type { UserRole } from '../accounts/roles.js';
import type { ExposureCategory } from './exposures.model.js';
import { userSelectorOf, type ScopeSource } from './scope.repo.js';
import { compileUserSelector, selectAccountsMatching } from './selectors/selector.compile.js';

// Every query over users here reads one account's rows: each branch is restricted to `accountId` before anything else.

/**
 * A page of rows in user id order: after `afterId` (null: from the start),
 * up to and including `upTo` when given (an export's batch), at most `limit`.
 */
export interface RowWindow {
  afterId: number | null;
  upTo?: number;
  limit: number;
}

/** The user ids a window allows, as bounds on one id column. */
export type IdBounds = Pick<RowWindow, 'afterId' | 'upTo'>;
export const ALL_IDS: IdBounds = { afterId: null };

/**
 * The id of the last of the account's next `size` users after `afterId`
 * (undefined when none is left): an export reads the rows of those users in
 * one statement, so each batch costs its own users, not the account's.
 */
export async function nextUserIdBound(db: Queryable, accountId: number, afterId: number | null, size: number): Promise<number | undefined> {
  const row = await db
    .selectFrom(
      db
        .selectFrom('users')
        .select('users.id')
        .where('users.account_id', '=', accountId)
        .$if(afterId !== null, (query) => query.where('users.id', '>', afterId ?? 0))
        .orderBy('users.id')
        .limit(size)
        .as('w'),
    )
    .select((eb) => eb.fn.max('w.id').as('bound'))
    .executeTakeFirst();
  return row?.bound === null || row?.bound === undefined ? undefined : Number(row.bound);
}

// Integers as literals: PostgreSQL would type a bare parameter in a CASE of a select list as text.
export const ONE = sql.lit(1);
export const ZERO = sql.lit(0);

// Categories are validated constants (EXPOSURE_CATEGORIES): a literal is safe and types alike on both backends.
const categoryLiteral = (category: ExposureCategory) => sql<string>`${sql.lit(category)}`.as('category');

/**
 * The account's users one exposure reaches, as (user_id, category): those its
 * user selector matches, or every user when an account selector matches the
 * account or the list names it; undefined when it cannot reach the account.
 */
function accountUsersOf(db: Queryable, source: ScopeSource, accountId: number, { afterId, upTo }: IdBounds) {
  const { target } = source;
  const columns = ['users.id as user_id', categoryLiteral(source.category)] as const;
  const userSelector = userSelectorOf(target);
  if (userSelector !== undefined)
    return compileUserSelector(db, userSelector)
      .where('users.account_id', '=', accountId)
      .$if(afterId !== null, (query) => query.where('users.id', '>', afterId ?? 0))
      .$if(upTo !== undefined, (query) => query.where('users.id', '<=', upTo ?? 0))
      .select(columns);
  if (target.kind === 'accounts' && !target.accountIds.includes(accountId)) return undefined;
  const users = db
    .selectFrom('users')
    .where('users.account_id', '=', accountId)
    .$if(afterId !== null, (query) => query.where('users.id', '>', afterId ?? 0))
    .$if(upTo !== undefined, (query) => query.where('users.id', '<=', upTo ?? 0))
    .select(columns);
  return target.kind === 'selector' ? users.where('users.account_id', 'in', selectAccountsMatching(db, target.selector)) : users;
}

function unionOf<T extends { union: (other: T) => T }>(queries: ReadonlyArray<T | undefined>): T | undefined {
  return queries.reduce<T | undefined>(
    (joined, query) => (query === undefined ? joined : joined === undefined ? query : joined.union(query)),
    undefined,
  );
}

/** The distinct (user_id, category) pairs the exposures reach in the account (UNION drops a pair matched twice). */
const matchesOf = (db: Queryable, sources: readonly ScopeSource[], accountId: number, bounds: IdBounds = ALL_IDS) =>
  unionOf(sources.map((source) => accountUsersOf(db, source, accountId, bounds)));

export interface AffectedUserRow {
  id: number;
  name: string;
  email: string;
  role: UserRole;
  realm: string;
  active: number;
  sso: number;
  products_mask: number;
  /** The categories, of those asked about, whose exposures include the user. */
  categories: ExposureCategory[];
}

/**
 * One page of the account's users the exposures reach, in id order, each with
 * the categories that include them. ONE statement: the union of the
 * exposures' compiled queries, grouped per user with one flag per category,
 * joined with the users.
 */
export async function listAffectedUsers(
  db: Queryable,
  accountId: number,
  sources: readonly ScopeSource[],
  window: RowWindow,
): Promise<AffectedUserRow[]> {
  const matches = matchesOf(db, sources, accountId, window);
  if (matches === undefined) return [];
  const categories = [...new Set(sources.map((source) => source.category))];
  const perUser = db
    .selectFrom(matches.as('m'))
    .select((eb) => [
      'm.user_id',
      ...categories.map((category, index) =>
        eb.fn.max(eb.case().when('m.category', '=', category).then(ONE).else(ZERO).end()).as(`in_${index}`),
      ),
    ])
    .groupBy('m.user_id')
    .as('a');
  const rows = await db
    .selectFrom(perUser)
    .innerJoin('users', (join) => join.on('users.account_id', '=', accountId).onRef('users.id', '=', 'a.user_id'))
    .selectAll('a')
    .select(['users.id', 'users.name', 'users.email', 'users.role', 'users.realm', 'users.active', 'users.sso', 'users.products_mask'])
    .orderBy('users.id')
    .limit(window.limit)
    .execute();
  return rows.map((row) => {
    const flags = row as unknown as Record<string, unknown>;
    return {
      id: Number(row.id),
      name: row.name,
      email: row.email,
      role: row.role,
      realm: row.realm,
      active: Number(row.active),
      sso: Number(row.sso),
      products_mask: Number(row.products_mask),
      categories: categories.filter((_, index) => Number(flags[`in_${index}`]) === 1),
    };
  });
}

/** Per product, how many of the rows' users are active in it: one summed flag per product. */
const productSums = () =>
  PRODUCTS.map((product, bit) =>
    sql<number>`sum(case when (users.products_mask & ${sql.lit(1 << bit)}) != 0 then 1 else 0 end)`.as(`p_${product}`),
  );

const productCountsOf = (row: Record<string, unknown>): Record<Product, number> =>
  Object.fromEntries(PRODUCTS.map((product) => [product, Number(row[`p_${product}`] ?? 0)])) as Record<Product, number>;

export interface AffectedUserCountRows {
  overall: { users: number; byProduct: Record<Product, number> };
  byCategory: Array<{ category: string; users: number; byProduct: Record<Product, number> }>;
}

/** The account's users in scope per product, overall (distinct users) and per category. Two grouped statements. */
export async function countAffectedUsers(
  db: Queryable,
  accountId: number,
  sources: readonly ScopeSource[],
): Promise<AffectedUserCountRows> {
  const zero = productCountsOf({});
  const matches = matchesOf(db, sources, accountId);
  if (matches === undefined) return { overall: { users: 0, byProduct: zero }, byCategory: [] };
  const [byCategory, overall] = await Promise.all([
    db
      .selectFrom(matches.as('m'))
      .innerJoin('users', (join) => join.on('users.account_id', '=', accountId).onRef('users.id', '=', 'm.user_id'))
      .select((eb) => ['m.category', eb.fn.countAll<number>().as('users'), ...productSums()])
      .groupBy('m.category')
      .execute(),
    db
      .selectFrom(db.selectFrom(matches.as('m')).select('m.user_id').distinct().as('d'))
      .innerJoin('users', (join) => join.on('users.account_id', '=', accountId).onRef('users.id', '=', 'd.user_id'))
      .select((eb) => [eb.fn.countAll<number>().as('users'), ...productSums()])
      .executeTakeFirstOrThrow(),
  ]);
  return {
    overall: { users: Number(overall.users), byProduct: productCountsOf(overall) },
    byCategory: byCategory.map((row) => ({ category: String(row.category), users: Number(row.users), byProduct: productCountsOf(row) })),
  };
}
