import { REALM_OF, type Product, type Realm } from '../../platform/products.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1, hashSaltedSha256, type PasswordScheme } from '../auth/password-formats.js';
import { accountPlans, type DemoAccountPlan } from './demo.accounts.js';
import { FIRST_NAMES, LAST_NAMES, MAIL_DOMAINS, PASSWORD_WORDS } from './demo.words.js';
import type { AccountLine, UserLine } from './import-lines.parser.js';
import { SeededRandom } from './seeded-random.js';

/**
 * A synthetic tenant population shaped like a helpdesk platform's history,
 * the same for the same seed: accounts activated 2009-2020 (trials, expired
 * trials, churned accounts, Sell-only accounts, accounts on SSO), a few
 * agents and many end users per account (Pareto-sized), passwords changed
 * over the years and hashed in the scheme of their year (salted SHA-1, then
 * salted SHA-256, PBKDF2, bcrypt). It yields import lines, so the demo goes
 * through the import's own write path.
 */
export interface DemoOptions {
  accounts: number;
  /** Users in all, across accounts. */
  users: number;
  seed: string;
  /**
   * `computed` (default) hashes a random password per user with cheap
   * parameters of the era; `format-only` writes well-formed hashes of no
   * password at all, for benchmarks that need a million users quickly.
   */
  hashes?: 'computed' | 'format-only';
}

/** A demo user whose password is known, to print for whoever tries the demo. */
export interface NamedDemoUser {
  subdomain: string;
  realm: Realm;
  role: UserLine['role'];
  name: string;
  email: string;
  password: string;
  scheme: PasswordScheme;
}

export type DemoLine = { kind: 'account'; line: AccountLine } | { kind: 'user'; line: UserLine } | { kind: 'account-complete' };

// Cheap parameters for the bulk of the population (the named users get realistic ones).
const BULK_PBKDF2_ITERATIONS = 1_000;
const BULK_BCRYPT_COST = 4;
const NAMED_PBKDF2_ITERATIONS = 600_000;
const NAMED_BCRYPT_COST = 10;

/** The scheme the platform hashed with in a given year. */
export function schemeOfYear(year: number): PasswordScheme {
  if (year < 2012) return 'sha1';
  if (year < 2015) return 'sha256';
  if (year < 2018) return 'pbkdf2-sha256';
  return 'bcrypt';
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/=+$/, '');
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function hashPassword(
  password: string,
  scheme: PasswordScheme,
  random: SeededRandom,
  mode: 'computed' | 'format-only',
  strength: 'bulk' | 'named',
): string {
  const salt = random.bytes(16);
  const fake = mode === 'format-only' ? random.bytes(32) : undefined;
  switch (scheme) {
    case 'sha1':
      return fake === undefined
        ? hashSaltedSha1(password, hex(salt.subarray(0, 4)))
        : `$sha1$${hex(salt.subarray(0, 4))}$${hex(fake.subarray(0, 20))}`;
    case 'sha256':
      return fake === undefined ? hashSaltedSha256(password, hex(salt.subarray(0, 8))) : `$sha256$${hex(salt.subarray(0, 8))}$${hex(fake)}`;
    case 'pbkdf2-sha256': {
      const iterations = strength === 'named' ? NAMED_PBKDF2_ITERATIONS : BULK_PBKDF2_ITERATIONS;
      return fake === undefined
        ? hashPbkdf2Sha256(password, salt, iterations)
        : `$pbkdf2-sha256$i=${iterations}$${base64(salt)}$${base64(fake)}`;
    }
    case 'bcrypt': {
      const cost = strength === 'named' ? NAMED_BCRYPT_COST : BULK_BCRYPT_COST;
      if (fake === undefined) return hashBcrypt(password, cost, salt);
      const chars = Array.from({ length: 53 }, (_, i) => BCRYPT_ALPHABET[(fake[i % 32]! + i) % 64]).join('');
      return `$2b$${String(cost).padStart(2, '0')}$${chars}`;
    }
    case 'argon2id':
      throw new RangeError('The demo writes legacy schemes only; argon2id comes from the password service.');
  }
}

const at = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const yearOf = (ms: number): number => new Date(ms).getUTCFullYear();

/** One account's people: an owner-admin, a few agents (twins in the other realms), then end users. */
class AccountPeople {
  private readonly emails = new Set<string>();
  private readonly random: SeededRandom;

  constructor(
    private readonly plan: DemoAccountPlan,
    seed: string,
    private readonly mode: 'computed' | 'format-only',
  ) {
    this.random = new SeededRandom(`${seed}/account/${plan.index}`);
  }

  *users(named: readonly UserLine[]): Generator<UserLine> {
    const { plan, random } = this;
    for (const line of named) this.emails.add(line.email);
    let remaining = plan.size - named.length;
    const coreProducts = plan.products.filter((p) => REALM_OF[p] === 'core');
    const otherRealms = [...new Set(plan.products.filter((p) => REALM_OF[p] !== 'core').map((p) => REALM_OF[p] as Realm))];
    const homeRealm: Realm = coreProducts.length > 0 ? 'core' : (otherRealms[0] ?? 'core');
    const staff = plan.sellOnly ? remaining : Math.min(remaining, 1 + Math.round(plan.size * 0.04));
    for (let index = 0; index < staff && remaining > 0; index++) {
      const role = index === 0 && named.length === 0 ? 'admin' : index > 0 && index % 25 === 0 ? 'admin' : 'agent';
      const person = this.person(plan.subdomain + '.test', index === 0 && named.length === 0 ? plan.ownerEmail : undefined);
      const createdAt = index === 0 ? plan.activatedAt : this.between(plan.activatedAt, plan.historyEnd, 2);
      const products = homeRealm === 'core' ? coreProducts.filter((p, i) => i === 0 || random.chance(0.7)) : this.productsOf(homeRealm);
      yield this.user(person, homeRealm, role, createdAt, products, plan.sso);
      remaining -= 1;
      // Staff of the separately-authenticated products hold a second credential there.
      for (const realm of homeRealm === 'core' ? otherRealms : []) {
        if (remaining === 0 || !random.chance(role === 'admin' ? 1 : 0.5)) continue;
        yield this.user(person, realm, role, this.between(createdAt, plan.historyEnd, 1), this.productsOf(realm), false);
        remaining -= 1;
      }
    }
    for (; remaining > 0; remaining--) {
      const person = this.person(random.pick(MAIL_DOMAINS));
      const products = coreProducts.filter((p) => p === 'support' || p === 'chat' || (p === 'guide' && random.chance(0.3)));
      yield this.user(person, homeRealm, 'end-user', this.between(plan.activatedAt, plan.historyEnd, 1), products, false);
    }
  }

  private productsOf(realm: Realm): Product[] {
    return this.plan.products.filter((p) => REALM_OF[p] === realm);
  }

  /** A time between two instants; `skew` > 1 leans towards the start. */
  private between(from: number, to: number, skew: number): number {
    return from + Math.floor(Math.pow(this.random.next(), skew) * Math.max(0, to - from));
  }

  private person(domain: string, email?: string): { name: string; email: string } {
    const first = this.random.pick(FIRST_NAMES);
    const last = this.random.pick(LAST_NAMES);
    const base = email ?? `${first}.${last}@${domain}`.toLowerCase();
    let candidate = base;
    for (let n = 2; this.emails.has(candidate); n++) candidate = base.replace('@', `${n}@`);
    this.emails.add(candidate);
    return { name: `${first} ${last}`, email: candidate };
  }

  private user(
    person: { name: string; email: string },
    realm: Realm,
    role: UserLine['role'],
    createdAt: number,
    products: Product[],
    sso: boolean,
  ): UserLine {
    const { random, plan } = this;
    const line: UserLine = {
      account: plan.subdomain,
      realm,
      role,
      name: person.name,
      email: person.email,
      created_at: at(createdAt),
      sso,
      products,
    };
    if (random.chance(0.25)) line.phone = `+1 555 0${random.int(100, 199)} ${random.int(1000, 9999)}`;
    if (random.chance(0.08)) line.locale = random.pick(['en', 'fr', 'de', 'es', 'ja']);
    if (random.chance(0.04)) line.active = false;
    // SSO staff mostly never had a password; end users often sign in by email link only.
    const hasPassword = sso ? random.chance(0.3) : role !== 'end-user' || random.chance(0.5);
    if (hasPassword) {
      const changedAt = random.chance(0.45) ? createdAt : this.between(createdAt, plan.historyEnd, 1);
      if (changedAt !== createdAt) line.password_changed_at = at(changedAt);
      const password = hex(random.bytes(9));
      line.password_hash = hashPassword(password, schemeOfYear(yearOf(changedAt)), random, this.mode, 'bulk');
    }
    return line;
  }
}

function passwordFor(random: SeededRandom): string {
  return `${random.pick(PASSWORD_WORDS)}-${random.pick(PASSWORD_WORDS)}-${random.pick(PASSWORD_WORDS)}-${random.int(10, 99)}`;
}

/** The showcase users of the first account, one per scheme worth showing at sign-in. */
function namedUsers(plan: DemoAccountPlan, seed: string, mode: 'computed' | 'format-only'): { lines: UserLine[]; people: NamedDemoUser[] } {
  const random = new SeededRandom(`${seed}/named`);
  const domain = `${plan.subdomain}.test`;
  const specs: Array<{
    name: string;
    local: string;
    realm: Realm;
    role: UserLine['role'];
    created: string;
    changed: string;
    scheme: PasswordScheme;
    products: Product[];
  }> = [
    {
      name: 'Ana Admin',
      local: 'ana.admin',
      realm: 'core',
      role: 'admin',
      created: '2014-03-02',
      changed: '2019-04-11',
      scheme: 'bcrypt',
      products: ['support', 'chat', 'guide'],
    },
    {
      name: 'Alex Agent',
      local: 'alex.agent',
      realm: 'core',
      role: 'agent',
      created: '2014-06-17',
      changed: '2015-09-03',
      scheme: 'pbkdf2-sha256',
      products: ['support', 'chat'],
    },
    {
      name: 'Eve Enduser',
      local: 'eve.enduser',
      realm: 'core',
      role: 'end-user',
      created: '2014-05-10',
      changed: '2014-05-10',
      scheme: 'sha256',
      products: ['support'],
    },
    {
      name: 'Sam Seller',
      local: 'sam.seller',
      realm: 'sell',
      role: 'agent',
      created: '2018-10-01',
      changed: '2019-01-15',
      scheme: 'bcrypt',
      products: ['sell'],
    },
  ];
  const lines: UserLine[] = [];
  const people: NamedDemoUser[] = [];
  for (const spec of specs.filter((s) => s.realm === 'core' || plan.products.includes('sell'))) {
    const password = passwordFor(random);
    const email = `${spec.local}@${domain}`;
    const line: UserLine = {
      account: plan.subdomain,
      realm: spec.realm,
      role: spec.role,
      name: spec.name,
      email,
      created_at: `${spec.created}T09:00:00Z`,
      sso: false,
      products: spec.products,
      password_hash: hashPassword(password, spec.scheme, random, mode, 'named'),
    };
    if (spec.changed !== spec.created) line.password_changed_at = `${spec.changed}T09:00:00Z`;
    lines.push(line);
    people.push({ subdomain: plan.subdomain, realm: spec.realm, role: spec.role, name: spec.name, email, password, scheme: spec.scheme });
  }
  return { lines, people };
}

/**
 * The population of `options`, planned up front (accounts and their sizes)
 * and generated account by account.
 *
 * @example
 * const population = new DemoPopulation({ accounts: 6, users: 200, seed: 'demo' });
 * for (const item of population.lines()) ...; population.namedUsers; // printed at the end
 */
export class DemoPopulation {
  readonly accounts: readonly DemoAccountPlan[];
  readonly namedUsers: readonly NamedDemoUser[];
  private readonly namedLines: readonly UserLine[];

  constructor(private readonly options: DemoOptions) {
    this.accounts = accountPlans(options);
    const showcase = this.accounts[0];
    const named = showcase === undefined ? { lines: [], people: [] } : namedUsers(showcase, options.seed, options.hashes ?? 'computed');
    this.namedLines = named.lines;
    this.namedUsers = named.people;
  }

  *lines(): Generator<DemoLine> {
    for (const plan of this.accounts) {
      yield { kind: 'account', line: plan.line };
      const named = plan.index === 0 ? this.namedLines : [];
      for (const line of named) yield { kind: 'user', line };
      for (const line of new AccountPeople(plan, this.options.seed, this.options.hashes ?? 'computed').users(named))
        yield { kind: 'user', line };
      yield { kind: 'account-complete' };
    }
  }
}
