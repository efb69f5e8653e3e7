import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, NewUser } from '../../../db/schema.js';
import { reserveIds } from '../../../db/sequences.js';
import { PRODUCTS, REALMS, maskToProducts } from '../../../platform/products.js';
import { SeededRandom } from '../../population/seeded-random.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import {
  compileUserSelector,
  selectAccountsMatching,
  selectSelectorRecords,
  selectUsersMatching,
  toSelectorRecord,
} from './selector.compile.js';
import { evaluateSelector, explainSelector, type SelectorRecord } from './selector.explain.js';
import { fieldSpec, SELECTOR_FIELDS, type SelectorField } from './selector.fields.js';
import { parseSelector, type Selector } from './selector.model.js';
import { ACCOUNT_STATUSES } from '../../accounts/account-status.js';
import { USER_ROLES } from '../../accounts/roles.js';

/**
 * SQL and evaluation must agree: a seeded random population and seeded
 * random selectors over every field and op, each selector's users from SQL
 * compared with the users `evaluateSelector` keeps from the same rows.
 */

const ACCOUNTS = 20;
const USERS = 300;
const SELECTORS = 50;

// Instants the population and the selectors share, so that equal values (the edges of before/after) occur.
const INSTANTS = [
  '2013-05-04T10:00:00.000Z',
  '2015-01-01T00:00:00.000Z',
  '2016-10-31T23:59:59.999Z',
  '2016-11-01T00:00:00.000Z',
  '2016-11-01T00:00:00.001Z',
  '2018-07-14T12:30:00.000Z',
];
const FROM = Date.parse('2012-01-01T00:00:00Z');
const TO = Date.parse('2022-01-01T00:00:00Z');

const instant = (random: SeededRandom): string => (random.chance(0.5) ? random.pick(INSTANTS) : random.timeBetween(FROM, TO));
const maybe = <T>(random: SeededRandom, probability: number, value: () => T): T | null => (random.chance(probability) ? value() : null);

function subset<T>(random: SeededRandom, items: readonly T[], min: number): T[] {
  const chosen = items.filter(() => random.chance(0.35));
  while (chosen.length < min) chosen.push(random.pick(items));
  return chosen;
}

const randomMask = (random: SeededRandom): number =>
  random.chance(0.05) ? 0 : random.int(1, 2 ** PRODUCTS.length - 1) & random.int(0, 511);

async function seedPopulation(database: TestDatabase, random: SeededRandom): Promise<{ accounts: Account[]; masks: number[] }> {
  const accounts: Account[] = [];
  for (let index = 0; index < ACCOUNTS; index++) {
    accounts.push(
      await insertAccount(database.db, `tenant${index}`, {
        status: random.pick(ACCOUNT_STATUSES),
        activated_at: maybe(random, 0.85, () => instant(random)),
        created_at: instant(random),
        products_mask: randomMask(random),
      }),
    );
  }
  const firstId = await reserveIds(database.db, 'users', USERS);
  const users: NewUser[] = [];
  const credentials: Array<{ account_id: number; user_id: number; password_hash: string; password_changed_at: string; must_change: 0 }> =
    [];
  for (let index = 0; index < USERS; index++) {
    const account = random.pick(accounts);
    const user = {
      account_id: account.id,
      id: firstId + index,
      realm: random.weighted(REALMS.map((realm) => [realm, realm === 'core' ? 6 : 1] as const)),
      role: random.pick(USER_ROLES),
      name: `user ${index}`,
      email: `user${index}@example.test`,
      active: random.chance(0.8) ? 1 : 0,
      sso: random.chance(0.2) ? 1 : 0,
      products_mask: randomMask(random),
      created_at: instant(random),
      updated_at: '2022-01-01T00:00:00.000Z',
      last_login_at: maybe(random, 0.7, () => instant(random)),
    } as const;
    users.push(user);
    if (random.chance(0.8)) {
      credentials.push({
        account_id: user.account_id,
        user_id: user.id,
        password_hash: '$argon2id$placeholder',
        password_changed_at: instant(random),
        must_change: 0,
      });
    }
  }
  await database.db.insertInto('users').values(users).execute();
  await database.db.insertInto('password_credentials').values(credentials).execute();
  return { accounts, masks: [...new Set(users.map((user) => user.products_mask))] };
}

/** A timestamp as an operator may write it: ISO with Z, with an offset, or a bare date. */
function writtenInstant(random: SeededRandom): string {
  const value = instant(random);
  const form = random.int(0, 3);
  if (form === 1) return value.replace('.000Z', 'Z');
  if (form === 2) return new Date(Date.parse(value) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+01:00');
  if (form === 3) return value.slice(0, 10);
  return value;
}

function randomClause(random: SeededRandom, fields: readonly SelectorField[], accounts: Account[], masks: number[]): unknown {
  const field = random.pick(fields);
  const spec = fieldSpec(field);
  const op = random.pick(spec.ops);
  const one = (): unknown => {
    switch (spec.type) {
      case 'id':
        return random.chance(0.1) ? 999_999_999 : random.pick(accounts).id;
      case 'enum':
        return random.pick(spec.values ?? []);
      case 'boolean':
        return random.chance(0.5);
      case 'timestamp':
        return writtenInstant(random);
      case 'products':
        return op === 'eq' && random.chance(0.6) ? maskToProducts(random.pick(masks)) : subset(random, PRODUCTS, op === 'eq' ? 0 : 1);
    }
  };
  if (op === 'is_null') return { field, op, value: random.chance(0.5) };
  if (op === 'in') return { field, op, value: Array.from({ length: random.int(1, 4) }, one) };
  return { field, op, value: one() };
}

function randomSelector(random: SeededRandom, depth: number, clause: () => unknown): unknown {
  if (depth >= 5 || random.chance(depth === 1 ? 0.1 : 0.4)) return clause();
  const kind = random.weighted([
    ['all', 3],
    ['any', 3],
    ['not', 2],
  ] as const);
  if (kind === 'not') return { not: randomSelector(random, depth + 1, clause) };
  const children = Array.from({ length: random.int(1, 4) }, () => randomSelector(random, depth + 1, clause));
  return kind === 'all' ? { all: children } : { any: children };
}

const ALL_FIELDS = Object.keys(SELECTOR_FIELDS) as SelectorField[];
const ACCOUNT_FIELDS = ALL_FIELDS.filter((field) => fieldSpec(field).entity === 'account');

describe.each(backends)('SQL and evaluation agree on %s', (backend) => {
  let database: TestDatabase;
  let accounts: Account[];
  let masks: number[];
  let records: Array<{ key: string; record: SelectorRecord }>;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    ({ accounts, masks } = await seedPopulation(database, new SeededRandom('selectors/population')));
    const rows = await selectSelectorRecords(database.db).execute();
    records = rows.map((row) => ({ key: `${row.account_id}:${row.id}`, record: toSelectorRecord(row) }));
  });
  afterAll(async () => {
    await database.dispose();
  });

  it(`reads back the whole population: ${USERS} users, some without a password`, () => {
    expect(records).toHaveLength(USERS);
    expect(records.filter(({ record }) => record.credential === null).length).toBeGreaterThan(20);
  });

  it(`selects the same users in SQL as by evaluation, for ${SELECTORS} random selectors over every field and op`, async () => {
    const random = new SeededRandom('selectors/selectors');
    const sizes: number[] = [];
    const ops = new Set<string>();
    for (let index = 0; index < SELECTORS; index++) {
      const generated = randomSelector(random, 1, () => randomClause(random, ALL_FIELDS, accounts, masks));
      const selector = parseSelector(JSON.parse(JSON.stringify(generated)));
      for (const match of JSON.stringify(selector).matchAll(/"field":"([^"]+)","op":"([^"]+)"/g)) ops.add(`${match[1]} ${match[2]}`);
      const fromSql = (await selectUsersMatching(database.db, selector).execute()).map((row) => `${row.account_id}:${row.id}`).sort();
      const evaluated = records.filter(({ record }) => evaluateSelector(selector, record)).map(({ key }) => key);
      expect({ index, selector, keys: fromSql }).toEqual({ index, selector, keys: evaluated.sort() });
      // The full join (every table, whatever the selector tests) keeps the same users.
      const joined = await compileUserSelector(database.db, selector).select(['users.account_id', 'users.id']).execute();
      expect(joined.map((row) => `${row.account_id}:${row.id}`).sort()).toEqual(fromSql);
      // The explanation's verdict is the evaluation's.
      for (const { record } of records.slice(0, 40))
        expect(explainSelector(selector, record).matched).toBe(evaluateSelector(selector, record));
      sizes.push(fromSql.length);
    }
    // Not a vacuous agreement: most selectors keep some users and drop others, and every field and op was tried.
    expect(sizes.filter((size) => size > 0 && size < USERS).length).toBeGreaterThan(SELECTORS / 2);
    const everyPair = ALL_FIELDS.flatMap((field) => fieldSpec(field).ops.map((op) => `${field} ${op}`));
    expect(everyPair.filter((pair) => !ops.has(pair))).toEqual([]);
  });

  it('selects the same accounts in SQL as by evaluation, for account-only selectors', async () => {
    const random = new SeededRandom('selectors/account-selectors');
    const accountRecords = accounts.map((account) => ({ id: account.id, record: { account } satisfies SelectorRecord }));
    for (let index = 0; index < 30; index++) {
      const generated = randomSelector(random, 1, () => randomClause(random, ACCOUNT_FIELDS, accounts, masks));
      const selector: Selector = parseSelector(generated);
      const fromSql = (await selectAccountsMatching(database.db, selector).execute()).map((row) => Number(row.id)).sort((a, b) => a - b);
      const evaluated = accountRecords.filter(({ record }) => evaluateSelector(selector, record)).map(({ id }) => id);
      expect({ index, selector, ids: fromSql }).toEqual({ index, selector, ids: evaluated.sort((a, b) => a - b) });
    }
  });
});
