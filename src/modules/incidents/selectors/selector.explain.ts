import type { Account, PasswordCredentialsTable, User } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { maskToProducts, productsToMask, type Product } from '../../../platform/products.js';
import { fieldSpec, type SelectorField } from './selector.fields.js';
import { isClause, parseSelector, selectorChildPath, type Selector, type SelectorClause } from './selector.model.js';

/**
 * One account, or one user with its account and password credential, as
 * stored (flags 0/1, products as masks, timestamps as ISO text): what
 * `evaluateSelector` and `explainSelector` test. `selectSelectorRecords`
 * (`selector.compile.ts`) reads it from the database.
 *
 * A `credential` that is absent or null means the user has no password.
 */
/** When the account's credentials were set: the values of the `account.*_at` credential fields. */
export interface AccountCredentialDates {
  oldest_api_token_at: string | null;
  oldest_oauth_secret_at: string | null;
  jwt_secret_set_at: string | null;
  saml_configured_at: string | null;
}

export interface SelectorRecord {
  /** The credential dates are read with the account (`selectSelectorRecords`); absent means none. */
  account: Pick<Account, 'id' | 'status' | 'activated_at' | 'created_at' | 'products_mask'> & Partial<AccountCredentialDates>;
  user?: Pick<User, 'role' | 'realm' | 'active' | 'sso' | 'products_mask' | 'created_at' | 'last_login_at'>;
  credential?: Pick<PasswordCredentialsTable, 'password_changed_at'> | null;
}

/**
 * How a selector decides, here as in SQL (`selector.compile.ts` writes the
 * same rules so both always agree):
 *
 * - Every clause is either true or false; there is no "unknown". A clause on
 *   a field whose value is NULL (an account never activated, a user who never
 *   signed in, a user without a password for `user.password_changed_at`) is
 *   false, except `is_null: true`, which is exactly that case.
 * - `not` negates that: `{not: {user.password_changed_at before X}}` is true
 *   for a user without a password. In SQL each such clause is written
 *   `col IS NOT NULL AND col < ?`, which is never NULL, so `NOT` and SQL's
 *   three-valued logic cannot drop the row.
 * - `all` is true when every child is (AND), `any` when one is (OR).
 * - `before` / `after` are strict (`<`, `>`) comparisons of ISO text, which
 *   sorts as time because every stored timestamp and every selector value is
 *   in `toISOString()` form.
 * - `overlaps` is `(mask & wanted) != 0`; `eq` on products is mask equality.
 * - `eq` on a flag compares with 1 or 0; `user.has_password` is "a password
 *   credential row exists".
 */
export type FieldValue = string | number | boolean | null | Product[];

export type ExplainedSelector =
  | { all: ExplainedSelector[]; matched: boolean; path: string }
  | { any: ExplainedSelector[]; matched: boolean; path: string }
  | { not: ExplainedSelector; matched: boolean; path: string }
  /** A clause with the record's value of its field, as a person reads it (booleans, product names). */
  | (SelectorClause & { matched: boolean; path: string; actual: FieldValue });

function userOf(record: SelectorRecord, field: SelectorField): NonNullable<SelectorRecord['user']> {
  if (record.user !== undefined) return record.user;
  throw new AppError('SelectorNeedsUser', `The selector tests ${field}, and no user was given; explain it for one of the account's users.`);
}

/** The field's value as stored: what the SQL compares. */
function storedValue(field: SelectorField, record: SelectorRecord): string | number | null {
  switch (field) {
    case 'account.id':
      return record.account.id;
    case 'account.status':
      return record.account.status;
    case 'account.activated_at':
      return record.account.activated_at;
    case 'account.created_at':
      return record.account.created_at;
    case 'account.products':
      return record.account.products_mask;
    case 'account.oldest_api_token_at':
      return record.account.oldest_api_token_at ?? null;
    case 'account.oldest_oauth_secret_at':
      return record.account.oldest_oauth_secret_at ?? null;
    case 'account.jwt_secret_set_at':
      return record.account.jwt_secret_set_at ?? null;
    case 'account.saml_configured_at':
      return record.account.saml_configured_at ?? null;
    case 'user.role':
      return userOf(record, field).role;
    case 'user.realm':
      return userOf(record, field).realm;
    case 'user.active':
      return userOf(record, field).active;
    case 'user.created_at':
      return userOf(record, field).created_at;
    case 'user.last_login_at':
      return userOf(record, field).last_login_at;
    case 'user.sso':
      return userOf(record, field).sso;
    case 'user.products':
      return userOf(record, field).products_mask;
    case 'user.password_changed_at':
      userOf(record, field);
      return record.credential?.password_changed_at ?? null;
    case 'user.has_password':
      userOf(record, field);
      return record.credential === undefined || record.credential === null ? 0 : 1;
  }
}

function clauseMatches(clause: SelectorClause, stored: string | number | null): boolean {
  switch (clause.op) {
    case 'before':
      return typeof stored === 'string' && stored < clause.value;
    case 'after':
      return typeof stored === 'string' && stored > clause.value;
    case 'is_null':
      return (stored === null) === clause.value;
    case 'overlaps':
      return typeof stored === 'number' && (stored & productsToMask(clause.value)) !== 0;
    case 'in':
      return stored !== null && (clause.value as ReadonlyArray<string | number>).includes(stored);
    case 'eq':
      if (typeof clause.value === 'boolean') return stored === (clause.value ? 1 : 0);
      if (Array.isArray(clause.value)) return stored === productsToMask(clause.value);
      return stored === clause.value;
  }
}

/** The stored value as a person reads it: booleans for flags, product names for masks. */
function displayValue(field: SelectorField, stored: string | number | null): FieldValue {
  const { type } = fieldSpec(field);
  if (type === 'boolean') return stored === 1;
  if (type === 'products') return maskToProducts(Number(stored));
  return stored;
}

/**
 * Whether the record matches the selector, by the rules above: the same
 * answer as the SQL of `compileUserSelector` for the same rows. The selector
 * must come from `parseSelector`; this runs per record and does not check it
 * again.
 *
 * @example
 * evaluateSelector(selector, { account, user, credential }); // true or false
 */
export function evaluateSelector(selector: Selector, record: SelectorRecord): boolean {
  if (isClause(selector)) return clauseMatches(selector, storedValue(selector.field, record));
  if ('not' in selector) return !evaluateSelector(selector.not, record);
  if ('all' in selector) return selector.all.every((child) => evaluateSelector(child, record));
  return selector.any.some((child) => evaluateSelector(child, record));
}

/**
 * The selector as a tree of the same shape, each node saying whether it
 * matched the record and each clause carrying the record's value of its
 * field, so an operator sees which clauses held and which failed. Every
 * child is evaluated (no short-circuit). Throws `InvalidSelector` for an
 * invalid selector and `SelectorNeedsUser` when it tests user fields and the
 * record has no user.
 *
 * @example
 * explainSelector({ all: [{ field: 'user.sso', op: 'eq', value: false }] }, { account, user });
 * // { all: [{ field: 'user.sso', op: 'eq', value: false, actual: false, matched: true, path: 'all[0]' }], matched: true, path: '' }
 */
export function explainSelector(selector: Selector, record: SelectorRecord): ExplainedSelector {
  return explainNode(parseSelector(selector), record, '');
}

function explainNode(selector: Selector, record: SelectorRecord, path: string): ExplainedSelector {
  if (isClause(selector)) {
    const stored = storedValue(selector.field, record);
    return { ...selector, actual: displayValue(selector.field, stored), matched: clauseMatches(selector, stored), path };
  }
  if ('not' in selector) {
    const inner = explainNode(selector.not, record, selectorChildPath(path, 'not'));
    return { not: inner, matched: !inner.matched, path };
  }
  if ('all' in selector) {
    const children = selector.all.map((child, index) => explainNode(child, record, `${selectorChildPath(path, 'all')}[${index}]`));
    return { all: children, matched: children.every((child) => child.matched), path };
  }
  const children = selector.any.map((child, index) => explainNode(child, record, `${selectorChildPath(path, 'any')}[${index}]`));
  return { any: children, matched: children.some((child) => child.matched), path };
}
