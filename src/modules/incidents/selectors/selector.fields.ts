import { REALMS } from '../../../platform/products.js';
import { ACCOUNT_STATUSES } from '../../accounts/account-status.js';
import { USER_ROLES } from '../../accounts/roles.js';

/**
 * The fields a selector may test, what each one is and which ops apply.
 * This table is the language's vocabulary: the parser checks against it,
 * the compiler and the evaluator read a field's type and nullability from it,
 * and the console can list it.
 *
 * Types:
 * - `id`: a positive integer (`eq`, `in`);
 * - `enum`: one of `values` (`eq`, `in`);
 * - `boolean`: `true` or `false` (`eq`);
 * - `timestamp`: an ISO-8601 instant, normalised to `toISOString()`
 *   (`before`, `after`, and `is_null` when the field may be null);
 * - `products`: a set of product names (`overlaps`: shares at least one;
 *   `eq`: exactly this set).
 */
export const SELECTOR_OPS = ['eq', 'in', 'before', 'after', 'is_null', 'overlaps'] as const;
export type SelectorOp = (typeof SELECTOR_OPS)[number];

/** Keys of a combinator node; written `{all: [...]}`, never as a clause's op. */
export const SELECTOR_COMBINATORS = ['all', 'any', 'not'] as const;

export type FieldType = 'id' | 'enum' | 'boolean' | 'timestamp' | 'products';

export interface FieldSpec {
  entity: 'account' | 'user';
  type: FieldType;
  /** The value may be null for some records (then only `is_null` can be true). */
  nullable: boolean;
  ops: readonly SelectorOp[];
  /** Allowed values of an `enum` field. */
  values?: readonly string[];
  meaning: string;
}

const TIMESTAMP_OPS = ['before', 'after'] as const;
const NULLABLE_TIMESTAMP_OPS = ['before', 'after', 'is_null'] as const;
const ENUM_OPS = ['eq', 'in'] as const;
const PRODUCT_OPS = ['overlaps', 'eq'] as const;

export const SELECTOR_FIELDS = {
  'account.id': { entity: 'account', type: 'id', nullable: false, ops: ENUM_OPS, meaning: "the account's id" },
  'account.status': {
    entity: 'account',
    type: 'enum',
    nullable: false,
    ops: ENUM_OPS,
    values: ACCOUNT_STATUSES,
    meaning: "the account's status",
  },
  'account.activated_at': {
    entity: 'account',
    type: 'timestamp',
    nullable: true,
    ops: NULLABLE_TIMESTAMP_OPS,
    meaning: 'when the account was activated; null if it never was',
  },
  'account.created_at': {
    entity: 'account',
    type: 'timestamp',
    nullable: false,
    ops: TIMESTAMP_OPS,
    meaning: 'when the account was created (a trial too, activated or not)',
  },
  'account.products': {
    entity: 'account',
    type: 'products',
    nullable: false,
    ops: PRODUCT_OPS,
    meaning: 'the products the account has enabled',
  },
  'account.oldest_api_token_at': {
    entity: 'account',
    type: 'timestamp',
    nullable: true,
    ops: NULLABLE_TIMESTAMP_OPS,
    meaning: "when the account's oldest API token was created (before X: it has a token from before X); null if it has none",
  },
  'account.oldest_oauth_secret_at': {
    entity: 'account',
    type: 'timestamp',
    nullable: true,
    ops: NULLABLE_TIMESTAMP_OPS,
    meaning: "when the oldest secret of the account's OAuth clients was set; null if it has no confidential client",
  },
  'account.jwt_secret_set_at': {
    entity: 'account',
    type: 'timestamp',
    nullable: true,
    ops: NULLABLE_TIMESTAMP_OPS,
    meaning: 'when the JWT single sign-on shared secret was set; null if none is',
  },
  'account.saml_configured_at': {
    entity: 'account',
    type: 'timestamp',
    nullable: true,
    ops: NULLABLE_TIMESTAMP_OPS,
    meaning: "when the SAML identity provider's URL or certificate was set; null if SAML is not configured",
  },
  'user.role': { entity: 'user', type: 'enum', nullable: false, ops: ENUM_OPS, values: USER_ROLES, meaning: "the user's role" },
  'user.realm': {
    entity: 'user',
    type: 'enum',
    nullable: false,
    ops: ENUM_OPS,
    values: REALMS,
    meaning: 'the authentication realm the user signs in to',
  },
  'user.active': { entity: 'user', type: 'boolean', nullable: false, ops: ['eq'], meaning: 'the user is active' },
  'user.created_at': { entity: 'user', type: 'timestamp', nullable: false, ops: TIMESTAMP_OPS, meaning: 'when the user was created' },
  'user.last_login_at': {
    entity: 'user',
    type: 'timestamp',
    nullable: true,
    ops: NULLABLE_TIMESTAMP_OPS,
    meaning: 'when the user last signed in; null if never',
  },
  'user.password_changed_at': {
    entity: 'user',
    type: 'timestamp',
    nullable: true,
    ops: NULLABLE_TIMESTAMP_OPS,
    meaning: "when the user's password was last set; null if the user has no password",
  },
  'user.sso': { entity: 'user', type: 'boolean', nullable: false, ops: ['eq'], meaning: 'the user signs in only through SSO' },
  'user.products': { entity: 'user', type: 'products', nullable: false, ops: PRODUCT_OPS, meaning: 'the products the user is active in' },
  'user.has_password': { entity: 'user', type: 'boolean', nullable: false, ops: ['eq'], meaning: 'the user has a password credential' },
} as const satisfies Record<string, FieldSpec>;

type Fields = typeof SELECTOR_FIELDS;
export type SelectorField = keyof Fields;

type FieldsWhere<Condition> = { [F in SelectorField]: Fields[F] extends Condition ? F : never }[SelectorField];
export type IdField = FieldsWhere<{ type: 'id' }>;
export type EnumField = FieldsWhere<{ type: 'enum' }>;
export type BooleanField = FieldsWhere<{ type: 'boolean' }>;
export type TimestampField = FieldsWhere<{ type: 'timestamp' }>;
export type ProductsField = FieldsWhere<{ type: 'products' }>;
export type NullableField = FieldsWhere<{ nullable: true }>;
export type AccountField = FieldsWhere<{ entity: 'account' }>;
export type UserField = FieldsWhere<{ entity: 'user' }>;

/** Own properties only: `toString` or `__proto__` are not fields. */
export const isSelectorField = (name: unknown): name is SelectorField => typeof name === 'string' && Object.hasOwn(SELECTOR_FIELDS, name);

export const fieldSpec = (field: SelectorField): FieldSpec => SELECTOR_FIELDS[field];

export const isSelectorOp = (name: unknown): name is SelectorOp =>
  typeof name === 'string' && (SELECTOR_OPS as readonly string[]).includes(name);
