import { AppError } from '../../errors.js';
import type { Product } from '../../platform/products.js';
import { COMPANY_PREFIXES, COMPANY_SUFFIXES, FIRST_NAMES, LAST_NAMES } from './demo.words.js';
import type { AccountLine } from './import-lines.parser.js';
import { SeededRandom } from './seeded-random.js';
import { type AccountStatus } from '../accounts/account-status.js';

/** One planned account of the demo population, and what its users are generated from. */
export interface DemoAccountPlan {
  index: number;
  subdomain: string;
  line: AccountLine;
  products: Product[];
  ownerEmail: string;
  activatedAt: number;
  /** No user of the account is created after this (churn, end of trial, or the end of the history). */
  historyEnd: number;
  size: number;
  sso: boolean;
  sellOnly: boolean;
}

const ERA_START = Date.UTC(2009, 0, 1);
const ERA_END = Date.UTC(2020, 11, 31);
const HISTORY_END = Date.UTC(2025, 11, 1);
const DAY = 86_400_000;
const YEAR = 365 * DAY;
/** Users the first account needs: its named users and a couple more. */
const SHOWCASE_MIN_USERS = 6;

/**
 * The first accounts are one of each shape, so that even a small demo shows
 * them all; the rest are drawn at random.
 */
const ARCHETYPES: ReadonlyArray<{ status: AccountStatus; sso?: boolean; sellOnly?: boolean; activatedIn?: number }> = [
  { status: 'active' }, // the showcase account with the named users
  { status: 'active', sso: true, activatedIn: 2010 },
  { status: 'active', sellOnly: true },
  { status: 'trial_expired' },
  { status: 'trial' },
  { status: 'inactive', activatedIn: 2011 },
];

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function coreProducts(random: SeededRandom): Product[] {
  const products: Product[] = [random.chance(0.95) ? 'support' : 'chat'];
  const addOns: ReadonlyArray<readonly [Product, number]> = [
    ['chat', 0.5],
    ['guide', 0.45],
    ['talk', 0.3],
    ['explore', 0.2],
    ['sell', 0.15],
    ['bime', 0.05],
    ['connect', 0.04],
    ['smooch', 0.03],
  ];
  for (const [product, probability] of addOns) if (!products.includes(product) && random.chance(probability)) products.push(product);
  return products;
}

function historyEndOf(status: AccountStatus, activatedAt: number, random: SeededRandom): number {
  if (status === 'trial' || status === 'trial_expired') return activatedAt + 30 * DAY;
  if (status === 'inactive') return Math.min(HISTORY_END, activatedAt + random.int(1, 6) * YEAR);
  return HISTORY_END;
}

function planAccount(index: number, random: SeededRandom, taken: Set<string>): Omit<DemoAccountPlan, 'size'> & { weight: number } {
  const archetype = ARCHETYPES[index] ?? {
    status: random.weighted<AccountStatus>([
      ['active', 62],
      ['inactive', 14],
      ['trial_expired', 18],
      ['trial', 6],
    ]),
    sellOnly: random.chance(0.08),
  };
  const status = archetype.status;
  const sellOnly = archetype.sellOnly === true;
  const words = index === 0 ? ['acme'] : [random.pick(COMPANY_PREFIXES), random.pick(COMPANY_SUFFIXES)];
  const name = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ');
  let subdomain = words.join('');
  for (let n = 2; taken.has(subdomain); n++) subdomain = `${words.join('')}${n}`;
  taken.add(subdomain);
  // Trials are the newest accounts.
  const drawn = ERA_START + Math.floor(random.next() * (ERA_END - ERA_START));
  let activatedAt =
    index === 0
      ? Date.UTC(2014, 2, 2)
      : archetype.activatedIn === undefined
        ? drawn
        : Date.UTC(archetype.activatedIn, 0, 1) + random.int(0, 364) * DAY;
  activatedAt -= activatedAt % DAY;
  if (status === 'trial') activatedAt = ERA_END - random.int(1, 29) * DAY;
  if (sellOnly) activatedAt = Math.max(activatedAt, Date.UTC(2018, 9, 1) + random.int(0, 800) * DAY);
  const products: Product[] = index === 0 ? ['support', 'chat', 'guide', 'talk', 'sell'] : sellOnly ? ['sell'] : coreProducts(random);
  const sso =
    !sellOnly &&
    (archetype.sso === true || (index >= ARCHETYPES.length && status !== 'trial' && status !== 'trial_expired' && random.chance(0.15)));
  const ownerEmail =
    index === 0 ? 'ana.admin@acme.test' : `${random.pick(FIRST_NAMES)}.${random.pick(LAST_NAMES)}@${subdomain}.test`.toLowerCase();
  const line: AccountLine = {
    subdomain,
    name,
    status,
    activated_at: iso(activatedAt),
    products,
    owner_email: ownerEmail,
  };
  if (index === 0 || ((status === 'active' || status === 'inactive') && random.chance(0.2)))
    line.host_mapping = `${index === 0 ? 'help' : 'support'}.${subdomain}.test`;
  const locale = random.weighted([
    ['en', 60],
    ['fr', 12],
    ['de', 10],
    ['es', 8],
    ['pt-BR', 5],
    ['ja', 5],
  ]);
  if (index !== 0 && locale !== 'en') line.locale = locale;
  if (index === 0 || random.chance(0.35)) line.security_contact_email = `security@${subdomain}.test`;
  const historyEnd = historyEndOf(status, activatedAt, random);
  // Accounts grow for as long as they live: older ones are bigger. Trials and Sell teams stay small.
  const years = Math.max(0.1, (historyEnd - activatedAt) / YEAR);
  const weight = Math.min(1_000, random.pareto(1.16)) * years * (status === 'trial' || status === 'trial_expired' || sellOnly ? 0.05 : 1);
  return { index, subdomain, line, products, ownerEmail, activatedAt, historyEnd, sso, sellOnly, weight };
}

/**
 * Plans every account and splits `users` between them by Pareto weights
 * (largest remainder, so the sizes add up exactly).
 */
export function accountPlans(options: { accounts: number; users: number; seed: string }): DemoAccountPlan[] {
  const { accounts, users } = options;
  if (!Number.isInteger(accounts) || accounts < 1)
    throw new AppError('InvalidParameters', `--accounts must be a positive integer; got ${accounts}.`);
  if (!Number.isInteger(users) || users < accounts + SHOWCASE_MIN_USERS - 1) {
    throw new AppError(
      'InvalidParameters',
      `--users must be at least ${accounts + SHOWCASE_MIN_USERS - 1} for ${accounts} account(s) (one each, and ${SHOWCASE_MIN_USERS} in the first); got ${users}.`,
    );
  }
  const random = new SeededRandom(`${options.seed}/accounts`);
  const taken = new Set<string>();
  const planned = Array.from({ length: accounts }, (_, index) => planAccount(index, random, taken));
  const minimums = planned.map((plan) => (plan.index === 0 ? SHOWCASE_MIN_USERS : 1));
  const spare = users - minimums.reduce((sum, n) => sum + n, 0);
  const totalWeight = planned.reduce((sum, plan) => sum + plan.weight, 0);
  const shares = planned.map((plan) => (spare * plan.weight) / totalWeight);
  const sizes = shares.map((share, index) => minimums[index]! + Math.floor(share));
  let leftover = users - sizes.reduce((sum, n) => sum + n, 0);
  const byRemainder = shares
    .map((share, index) => ({ index, remainder: share - Math.floor(share) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (leftover === 0) break;
    sizes[index]! += 1;
    leftover -= 1;
  }
  return planned.map(({ weight: _weight, ...plan }, index) => ({ ...plan, size: sizes[index]! }));
}
