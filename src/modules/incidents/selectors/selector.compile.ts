import { expressionBuilder, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { productsToMask } from '../../../platform/products.js';
import { fieldSpec, type AccountField, type SelectorField } from './selector.fields.js';
import { isClause, parseSelector, selectorClauses, userClauses, type Selector, type SelectorClause } from './selector.model.js';
import type { SelectorRecord } from './selector.explain.js';

/**
 * Selectors compiled to SQL through Kysely: one query, values always bound
 * as parameters, the same text on SQLite and PostgreSQL. The rules (NULL
 * handling above all) are those documented in `selector.explain.ts`, which
 * evaluates the same selector on one record; the two must agree.
 */

/** The SQL type of the column (or expression) behind each field. */
interface FieldColumnTypes {
  'account.id': number;
  'account.status': string;
  'account.activated_at': string | null;
  'account.created_at': string;
  'account.products': number;
  'account.oldest_api_token_at': string | null;
  'account.oldest_oauth_secret_at': string | null;
  'account.jwt_secret_set_at': string | null;
  'account.saml_configured_at': string | null;
  'user.role': string;
  'user.realm': string;
  'user.active': number;
  'user.created_at': string;
  'user.last_login_at': string | null;
  'user.password_changed_at': string | null;
  'user.sso': number;
  'user.products': number;
  /** `password_credentials.user_id` of the left join: NULL when the user has no password. */
  'user.has_password': number | null;
}

type ColumnOf = <F extends SelectorField>(field: F) => Expression<FieldColumnTypes[F]>;

// Builds expressions only; the tables they name are those of the query they go into.
const eb = expressionBuilder<Database, 'users' | 'accounts' | 'password_credentials'>();

type CredentialDateField =
  'account.oldest_api_token_at' | 'account.oldest_oauth_secret_at' | 'account.jwt_secret_set_at' | 'account.saml_configured_at';

/** The account's credential dates, as scalar subqueries on its id: no join, so a selector that does not test them costs nothing. */
const credentialDateColumns = (accountId: 'users.account_id' | 'accounts.id') =>
  ({
    'account.oldest_api_token_at': eb
      .selectFrom('api_tokens')
      .select((inner) => inner.fn.min<string | null>('api_tokens.created_at').as('at'))
      .whereRef('api_tokens.account_id', '=', accountId)
      .$asScalar(),
    'account.oldest_oauth_secret_at': eb
      .selectFrom('oauth_clients')
      .select((inner) => inner.fn.min<string | null>('oauth_clients.secret_set_at').as('at'))
      .whereRef('oauth_clients.account_id', '=', accountId)
      .$asScalar(),
    'account.jwt_secret_set_at': eb
      .selectFrom('sso_configs')
      .select('sso_configs.jwt_secret_set_at')
      .whereRef('sso_configs.account_id', '=', accountId)
      .$asScalar(),
    'account.saml_configured_at': eb
      .selectFrom('sso_configs')
      .select('sso_configs.saml_configured_at')
      .whereRef('sso_configs.account_id', '=', accountId)
      .$asScalar(),
  }) satisfies { [F in CredentialDateField]: Expression<FieldColumnTypes[F]> };

const USER_QUERY_COLUMNS: { [F in SelectorField]: Expression<FieldColumnTypes[F]> } = {
  // users.account_id rather than accounts.id: the same value, and it leads the users indexes.
  'account.id': eb.ref('users.account_id'),
  'account.status': eb.ref('accounts.status'),
  'account.activated_at': eb.ref('accounts.activated_at'),
  'account.created_at': eb.ref('accounts.created_at'),
  'account.products': eb.ref('accounts.products_mask'),
  ...credentialDateColumns('users.account_id'),
  'user.role': eb.ref('users.role'),
  'user.realm': eb.ref('users.realm'),
  'user.active': eb.ref('users.active'),
  'user.created_at': eb.ref('users.created_at'),
  'user.last_login_at': eb.ref('users.last_login_at'),
  'user.password_changed_at': eb.ref('password_credentials.password_changed_at'),
  'user.sso': eb.ref('users.sso'),
  'user.products': eb.ref('users.products_mask'),
  'user.has_password': eb.ref('password_credentials.user_id'),
};

const ACCOUNT_QUERY_COLUMNS: { [F in AccountField]: Expression<FieldColumnTypes[F]> } = {
  'account.id': eb.ref('accounts.id'),
  'account.status': eb.ref('accounts.status'),
  'account.activated_at': eb.ref('accounts.activated_at'),
  'account.created_at': eb.ref('accounts.created_at'),
  'account.products': eb.ref('accounts.products_mask'),
  ...credentialDateColumns('accounts.id'),
};

const userQueryColumn: ColumnOf = (field) => USER_QUERY_COLUMNS[field];

const accountQueryColumn: ColumnOf = (field) => {
  const column = (ACCOUNT_QUERY_COLUMNS as Partial<Record<SelectorField, Expression<FieldColumnTypes[typeof field]>>>)[field];
  // Unreachable: selectAccountsMatching refuses user fields first.
  if (column === undefined) throw new AppError('InvalidSelector', `${field} is not an account field.`);
  return column;
};

function clausePredicate(clause: SelectorClause, columnOf: ColumnOf): Expression<SqlBool> {
  const { nullable, type } = fieldSpec(clause.field);
  switch (clause.op) {
    case 'before':
    case 'after': {
      const column = columnOf(clause.field);
      const compared = eb(column, clause.op === 'before' ? '<' : '>', clause.value);
      // Never NULL, so that `not` of it is true for a NULL value (see selector.explain.ts).
      return nullable ? eb.and([eb(column, 'is not', null), compared]) : compared;
    }
    case 'is_null':
      return eb(columnOf(clause.field), clause.value ? 'is' : 'is not', null);
    case 'overlaps':
      // Parenthesised although both databases bind & tighter than != already.
      return eb(eb.parens(columnOf(clause.field), '&', productsToMask(clause.value)), '!=', 0);
    case 'in':
      return eb(columnOf(clause.field), 'in', clause.value);
    case 'eq':
      if (clause.field === 'user.has_password') return eb(columnOf(clause.field), clause.value ? 'is not' : 'is', null);
      if (type === 'boolean') return eb(columnOf(clause.field), '=', clause.value === true ? 1 : 0);
      if (Array.isArray(clause.value)) return eb(columnOf(clause.field), '=', productsToMask(clause.value));
      return eb(columnOf(clause.field), '=', clause.value as string | number);
  }
}

function predicateOf(selector: Selector, columnOf: ColumnOf): Expression<SqlBool> {
  if (isClause(selector)) return clausePredicate(selector, columnOf);
  if ('not' in selector) {
    const inner = predicateOf(selector.not, columnOf);
    // `all` and `any` come parenthesised; a clause is wrapped so `not` reads as it binds.
    return eb.not(isClause(selector.not) ? eb.parens(inner) : inner);
  }
  if ('all' in selector) return eb.and(selector.all.map((child) => predicateOf(child, columnOf)));
  return eb.or(selector.any.map((child) => predicateOf(child, columnOf)));
}

/**
 * The WHERE of a selector over `users` joined with `accounts` and left-joined
 * with `password_credentials` (as `compileUserSelector` joins them), for a
 * caller that builds its own query over the same join. Validates the
 * selector again, whatever its origin.
 */
export function userSelectorPredicate(selector: Selector): Expression<SqlBool> {
  return predicateOf(parseSelector(selector), userQueryColumn);
}

/** `users` joined with its account and left-joined with its password credential. */
function usersWithAccountAndCredential(db: Kysely<Database>) {
  return db
    .selectFrom('users')
    .innerJoin('accounts', 'accounts.id', 'users.account_id')
    .leftJoin('password_credentials', (join) =>
      join.onRef('password_credentials.account_id', '=', 'users.account_id').onRef('password_credentials.user_id', '=', 'users.id'),
    );
}

/** What `compileUserSelector` returns: select what you need from `users`, `accounts` and `password_credentials` (nullable). */
export type UserSelectorQuery = ReturnType<typeof usersWithAccountAndCredential>;

/**
 * One query over the users the selector matches: `users` joined with
 * `accounts` and left-joined with `password_credentials` (a user without a
 * password has NULL there), filtered by the selector. Nothing is selected
 * yet: callers add their columns, count, group or insert-select from it.
 * When only the users' keys are wanted, `selectUsersMatching` is leaner.
 *
 * @example
 * const { targets } = await compileUserSelector(db, selector)
 *   .select((eb) => eb.fn.countAll<number>().as('targets'))
 *   .executeTakeFirstOrThrow();
 */
export function compileUserSelector(db: Kysely<Database>, selector: Selector): UserSelectorQuery {
  return usersWithAccountAndCredential(db).where(userSelectorPredicate(selector));
}

/**
 * The users the selector matches as `(account_id, id)`: for a subquery, a CTE
 * or an insert-select. Joins only what the selector tests: `accounts` for
 * account fields other than the id, `password_credentials` for
 * `user.password_changed_at` and `user.has_password`. (Neither database
 * drops an unread left join once the query is wrapped in an aggregate: on
 * 1M users the needless credential join costs more than the rest.)
 *
 * @example
 * await db.insertInto('rotation_targets').columns(['account_id', 'user_id'])
 *   .expression(selectUsersMatching(db, selector)).execute();
 */
export function selectUsersMatching(db: Kysely<Database>, selector: Selector) {
  const valid = parseSelector(selector);
  const fields = new Set(selectorClauses(valid).map(({ clause }) => clause.field));
  const needsAccount = [...fields].some((field) => fieldSpec(field).entity === 'account' && field !== 'account.id');
  const needsCredential = fields.has('user.password_changed_at') || fields.has('user.has_password');
  return db
    .selectFrom('users')
    .$if(needsAccount, (query) => query.innerJoin('accounts', 'accounts.id', 'users.account_id'))
    .$if(needsCredential, (query) =>
      query.leftJoin('password_credentials', (join) =>
        join.onRef('password_credentials.account_id', '=', 'users.account_id').onRef('password_credentials.user_id', '=', 'users.id'),
      ),
    )
    .where(predicateOf(valid, userQueryColumn))
    .select(['users.account_id', 'users.id']);
}

/**
 * The accounts an account-level selector matches, as `id`, from `accounts`
 * alone. Throws `InvalidSelector` naming the path of each user field: a
 * selector over users says which users, not which accounts.
 *
 * @example
 * const ids = await selectAccountsMatching(db, { field: 'account.activated_at', op: 'before', value: cutoff }).execute();
 */
export function selectAccountsMatching(db: Kysely<Database>, selector: Selector) {
  const valid = parseSelector(selector);
  const users = userClauses(valid);
  if (users.length > 0) {
    const problems = users.map(({ clause, path }) => ({
      path: path === '' ? 'field' : `${path}.field`,
      rule: 'user_field_in_account_selector',
      description: `${clause.field} is a user field; an account selector tests account.* fields only`,
    }));
    throw new AppError(
      'InvalidSelector',
      `The selector tests user fields, so it selects users, not accounts: ${problems.map((p) => p.path).join(', ')}. Select the users and group them by account instead.`,
      { details: { problems } },
    );
  }
  return db.selectFrom('accounts').where(predicateOf(valid, accountQueryColumn)).select('accounts.id');
}

/**
 * The stored values `evaluateSelector` and `explainSelector` test, per user,
 * over the same join as `compileUserSelector`; add a `where` to pick users.
 * `toSelectorRecord` turns a row into a `SelectorRecord`.
 */
export function selectSelectorRecords(db: Kysely<Database>) {
  return usersWithAccountAndCredential(db).select([
    'users.account_id',
    'users.id',
    'accounts.status as account_status',
    'accounts.activated_at as account_activated_at',
    'accounts.created_at as account_created_at',
    'accounts.products_mask as account_products_mask',
    credentialDateColumns('users.account_id')['account.oldest_api_token_at'].as('account_oldest_api_token_at'),
    credentialDateColumns('users.account_id')['account.oldest_oauth_secret_at'].as('account_oldest_oauth_secret_at'),
    credentialDateColumns('users.account_id')['account.jwt_secret_set_at'].as('account_jwt_secret_set_at'),
    credentialDateColumns('users.account_id')['account.saml_configured_at'].as('account_saml_configured_at'),
    'users.role',
    'users.realm',
    'users.active',
    'users.sso',
    'users.products_mask',
    'users.created_at',
    'users.last_login_at',
    'password_credentials.user_id as credential_user_id',
    'password_credentials.password_changed_at',
  ]);
}

export type SelectorRecordRow = Awaited<ReturnType<ReturnType<typeof selectSelectorRecords>['executeTakeFirstOrThrow']>>;

export function toSelectorRecord(row: SelectorRecordRow): SelectorRecord {
  return {
    account: {
      id: row.account_id,
      status: row.account_status,
      activated_at: row.account_activated_at,
      created_at: row.account_created_at,
      products_mask: row.account_products_mask,
      oldest_api_token_at: row.account_oldest_api_token_at,
      oldest_oauth_secret_at: row.account_oldest_oauth_secret_at,
      jwt_secret_set_at: row.account_jwt_secret_set_at,
      saml_configured_at: row.account_saml_configured_at,
    },
    user: {
      role: row.role,
      realm: row.realm,
      active: row.active,
      sso: row.sso,
      products_mask: row.products_mask,
      created_at: row.created_at,
      last_login_at: row.last_login_at,
    },
    credential:
      row.credential_user_id === null || row.password_changed_at === null ? null : { password_changed_at: row.password_changed_at },
  };
}
