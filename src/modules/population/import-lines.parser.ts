import { normaliseTimestamp } from '../../platform/timestamps.js';
import type { FieldProblem, Normalised } from '../../platform/json-lines/line-problems.js';
import { ACCOUNT_STATUSES, type AccountStatus } from '../accounts/account-status.js';
import { USER_ROLES, type UserRole } from '../accounts/roles.js';
import { isProduct, PRODUCTS, REALM_OF, REALMS, type Product, type Realm } from '../../platform/products.js';
import { excessiveHashCost, parsePasswordHash, PASSWORD_SCHEMES } from '../auth/password-formats.js';

/**
 * The import line formats of DESIGN.md ("Interfaces a user relies on"), and
 * their normalised records: the one shape the bulk writer takes, whether the
 * rows come from files (`riposte import`) or from the demo generator.
 */

/** One line of `accounts.jsonl` as written in the file. */
export interface AccountLine {
  subdomain: string;
  name: string;
  status: AccountStatus;
  activated_at: string | null;
  products: string[];
  owner_email: string;
  /** When the account was created; absent: its `activated_at`, or the time of the import for a trial never activated. */
  created_at?: string | null;
  host_mapping?: string | null;
  locale?: string;
  security_contact_email?: string | null;
}

/** One line of `users.jsonl` as written in the file. */
export interface UserLine {
  account: string;
  realm: string;
  role: UserRole;
  name: string;
  email: string;
  created_at: string;
  sso: boolean;
  products: string[];
  phone?: string | null;
  locale?: string | null;
  password_changed_at?: string;
  password_hash?: string;
  active?: boolean;
}

/** An account line with defaults applied and values normalised (lower-case emails, ISO timestamps). */
export interface ImportedAccount {
  subdomain: string;
  name: string;
  status: AccountStatus;
  activated_at: string | null;
  products: Product[];
  owner_email: string;
  host_mapping: string | null;
  locale: string;
  security_contact_email: string | null;
  /** As given; absent or null, the writer dates the account from its activation, else from the import. */
  created_at?: string | null;
}

/** A user line with defaults applied: `password_changed_at` is set whenever `password_hash` is. */
export interface ImportedUser {
  account: string;
  realm: Realm;
  role: UserRole;
  name: string;
  email: string;
  phone: string | null;
  locale: string | null;
  created_at: string;
  password_hash: string | null;
  password_changed_at: string | null;
  sso: boolean;
  active: boolean;
  products: Product[];
}

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const EMAIL = /^[^\s@"<>()[\],;:]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const LOCALE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
const PHONE = /^\+?[0-9][0-9 ().\-/]{1,38}[0-9](?: ?(?:x|ext\.?) ?[0-9]{1,6})?$/;
const MAX_NAME = 255;

const ACCOUNT_FIELDS = new Set([
  'subdomain',
  'name',
  'status',
  'activated_at',
  'products',
  'owner_email',
  'created_at',
  'host_mapping',
  'locale',
  'security_contact_email',
]);
const USER_FIELDS = new Set([
  'account',
  'realm',
  'role',
  'name',
  'email',
  'created_at',
  'sso',
  'products',
  'phone',
  'locale',
  'password_changed_at',
  'password_hash',
  'active',
]);

const describe = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 60));

/** Reads the fields of one line, collecting a problem per bad field rather than stopping at the first. */
class FieldReader {
  readonly problems: FieldProblem[] = [];
  constructor(private readonly line: Record<string, unknown>) {}

  private fail(field: string, message: string): undefined {
    this.problems.push({ field, message });
    return undefined;
  }

  /** Optional fields may be absent or null; both mean "use the default". */
  present(field: string): boolean {
    return this.line[field] !== undefined && this.line[field] !== null;
  }

  text(field: string, pattern?: RegExp, expects?: string): string | undefined {
    const value = this.line[field];
    if (value === undefined) return this.fail(field, 'is required');
    if (typeof value !== 'string') return this.fail(field, `must be a string; got ${describe(value)}`);
    if (value.trim() === '') return this.fail(field, 'must not be empty');
    if (value.length > MAX_NAME) return this.fail(field, `must be at most ${MAX_NAME} characters`);
    if (pattern !== undefined && !pattern.test(value))
      return this.fail(field, `must be ${expects ?? `of the form ${String(pattern)}`}; got ${describe(value)}`);
    return value;
  }

  optionalText(field: string, pattern?: RegExp, expects?: string): string | null | undefined {
    if (this.line[field] === undefined || this.line[field] === null) return null;
    return this.text(field, pattern, expects);
  }

  email(field: string): string | undefined {
    const value = this.text(field);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    return EMAIL.test(lower) ? lower : this.fail(field, `must be an email address; got ${describe(value)}`);
  }

  optionalEmail(field: string): string | null | undefined {
    return this.line[field] === undefined || this.line[field] === null ? null : this.email(field);
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T | undefined {
    const value = this.line[field];
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    return this.fail(field, `must be one of ${allowed.join(', ')}; got ${describe(value)}`);
  }

  timestamp(field: string): string | undefined {
    const value = this.line[field];
    if (value === undefined) return this.fail(field, 'is required');
    const normalised = typeof value === 'string' ? normaliseTimestamp(value) : undefined;
    return normalised ?? this.fail(field, `must be an ISO-8601 UTC timestamp such as 2015-03-02T00:00:00Z; got ${describe(value)}`);
  }

  boolean(field: string, fallback?: boolean): boolean | undefined {
    const value = this.line[field];
    if ((value === undefined || value === null) && fallback !== undefined) return fallback;
    if (typeof value === 'boolean') return value;
    return this.fail(field, `must be true or false; got ${describe(value)}`);
  }

  products(field: string): Product[] | undefined {
    const value: unknown = this.line[field];
    if (!Array.isArray(value)) return this.fail(field, `must be a list of products (${PRODUCTS.join(', ')}); got ${describe(value)}`);
    // Checked in place and copied only to drop a repeat: this runs for every imported user.
    let repeated = false;
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      if (!isProduct(item)) return this.fail(field, `has unknown product ${describe(item)}; expected any of ${PRODUCTS.join(', ')}`);
      if (value.indexOf(item) !== index) repeated = true;
    }
    return repeated ? [...new Set(value as Product[])] : [...(value as Product[])];
  }

  unknownFields(known: ReadonlySet<string>): void {
    // `for...in` walks a parsed line's own fields without allocating their list.
    for (const field in this.line) {
      if (!known.has(field)) this.problems.push({ field, message: `is not a known field; expected only ${[...known].join(', ')}` });
    }
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

const notAnObject = <T>(value: unknown): Normalised<T> => ({
  ok: false,
  problems: [{ message: `must be a JSON object; got ${describe(value)}` }],
});

/**
 * Validates one parsed line of `accounts.jsonl` and applies the defaults
 * (`locale` 'en'). An account is created before it is activated, so a
 * `created_at` after `activated_at` is refused. Cross-line rules
 * (duplicates) are the validator's.
 */
export function normaliseAccountLine(value: unknown): Normalised<ImportedAccount> {
  const line = asObject(value);
  if (line === undefined) return notAnObject(value);
  const read = new FieldReader(line);
  read.unknownFields(ACCOUNT_FIELDS);
  const subdomain = read.text('subdomain', SUBDOMAIN, 'a lower-case DNS label (letters, digits, hyphens)');
  const name = read.text('name');
  const status = read.oneOf('status', ACCOUNT_STATUSES);
  const activatedAt = line.activated_at === null ? null : read.timestamp('activated_at');
  const products = read.products('products');
  const ownerEmail = read.email('owner_email');
  const hostMapping = read.optionalText('host_mapping', HOSTNAME, 'a lower-case host name such as help.acme.test');
  const locale = read.present('locale') ? read.text('locale', LOCALE, 'a locale such as en, fr or pt-BR') : 'en';
  const securityContactEmail = read.optionalEmail('security_contact_email');
  const createdAt = read.present('created_at') ? read.timestamp('created_at') : null;
  if (typeof createdAt === 'string' && typeof activatedAt === 'string' && createdAt > activatedAt)
    read.problems.push({
      field: 'created_at',
      message: `is after activated_at (${activatedAt}); an account is created before it is activated`,
    });
  if (read.problems.length > 0) return { ok: false, problems: read.problems };
  return {
    ok: true,
    record: {
      subdomain: subdomain!,
      name: name!,
      status: status!,
      activated_at: activatedAt!,
      products: products!,
      owner_email: ownerEmail!,
      host_mapping: hostMapping!,
      locale: locale!,
      security_contact_email: securityContactEmail!,
      created_at: createdAt ?? null,
    },
  };
}

/**
 * Validates one parsed line of `users.jsonl` and applies the defaults
 * (`active` true; `password_changed_at` the user's `created_at`). Whether
 * the account exists and the email is unique are the validator's rules.
 */
export function normaliseUserLine(value: unknown): Normalised<ImportedUser> {
  const line = asObject(value);
  if (line === undefined) return notAnObject(value);
  const read = new FieldReader(line);
  read.unknownFields(USER_FIELDS);
  const account = read.text('account', SUBDOMAIN, 'the subdomain of an account');
  const realm = read.oneOf('realm', REALMS);
  const role = read.oneOf('role', USER_ROLES);
  const name = read.text('name');
  const email = read.email('email');
  const phone = read.optionalText('phone', PHONE, 'a phone number such as +33 1 23 45 67 89');
  const locale = read.optionalText('locale', LOCALE, 'a locale such as en, fr or pt-BR');
  const createdAt = read.timestamp('created_at');
  const sso = read.boolean('sso');
  const active = read.boolean('active', true);
  const products = read.products('products');
  let passwordHash: string | null = null;
  if (read.present('password_hash')) {
    const hash = line.password_hash;
    const scheme = typeof hash === 'string' ? parsePasswordHash(hash) : undefined;
    const excessive = typeof hash === 'string' && scheme !== undefined ? excessiveHashCost(hash, scheme) : undefined;
    if (excessive !== undefined)
      read.problems.push({
        field: 'password_hash',
        message: `costs too much to verify at each sign-in: ${excessive} (see the README's password hash formats)`,
      });
    else if (typeof hash === 'string' && scheme !== undefined) passwordHash = hash;
    else
      read.problems.push({
        field: 'password_hash',
        message: `is not in a recognised format (${PASSWORD_SCHEMES.join(', ')}; see the README)`,
      });
  }
  // Without a hash there is no credential for the date to describe; it is checked, then unused.
  const passwordChangedAt = read.present('password_changed_at') ? read.timestamp('password_changed_at') : createdAt;
  if (realm !== undefined && products !== undefined) {
    const foreign = products.find((product) => REALM_OF[product] !== realm);
    if (foreign !== undefined)
      read.problems.push({ field: 'products', message: `has ${foreign}, which signs in through realm ${REALM_OF[foreign]}, not ${realm}` });
  }
  if (read.problems.length > 0) return { ok: false, problems: read.problems };
  return {
    ok: true,
    record: {
      account: account!,
      realm: realm as Realm,
      role: role!,
      name: name!,
      email: email!,
      phone: phone!,
      locale: locale!,
      created_at: createdAt!,
      password_hash: passwordHash,
      password_changed_at: passwordHash === null ? null : passwordChangedAt!,
      sso: sso!,
      active: active!,
      products: products!,
    },
  };
}
