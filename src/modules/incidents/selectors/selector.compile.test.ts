import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { productsToMask, type Product } from '../../../platform/products.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { insertUser } from '../../../../test/support/identity-fixtures.js';
import {
  compileUserSelector,
  selectAccountsMatching,
  selectSelectorRecords,
  selectUsersMatching,
  toSelectorRecord,
} from './selector.compile.js';
import { evaluateSelector, explainSelector, type ExplainedSelector, type SelectorRecord } from './selector.explain.js';
import { parseSelector, type Selector } from './selector.model.js';

const CUTOFF = '2016-11-01T00:00:00.000Z';
const BEFORE = '2015-06-01T00:00:00.000Z';
const AFTER = '2017-03-01T00:00:00.000Z';

/**
 * The seed case of issue 5: agents active in Support or Chat and end users of
 * Support, in accounts activated before the cutoff, whose password was set
 * before the cutoff and who are not on SSO.
 */
const SEED_CASE = parseSelector({
  all: [
    { field: 'account.activated_at', op: 'before', value: CUTOFF },
    { field: 'user.realm', op: 'eq', value: 'core' },
    {
      any: [
        {
          all: [
            { field: 'user.role', op: 'in', value: ['agent', 'admin'] },
            { field: 'user.active', op: 'eq', value: true },
            { field: 'user.products', op: 'overlaps', value: ['support', 'chat'] },
          ],
        },
        {
          all: [
            { field: 'user.role', op: 'eq', value: 'end-user' },
            { field: 'user.products', op: 'overlaps', value: ['support'] },
          ],
        },
      ],
    },
    { field: 'user.password_changed_at', op: 'before', value: CUTOFF },
    { field: 'user.sso', op: 'eq', value: false },
  ],
});

const mask = (...products: Product[]): number => productsToMask(products);

describe.each(backends)('selectors compiled to SQL on %s', (backend) => {
  let database: TestDatabase;
  let acme: Account;
  const users = new Map<string, User>();

  const matchedNames = async (selector: Selector): Promise<string[]> => {
    const rows = await selectUsersMatching(database.db, selector).execute();
    const byId = new Map([...users].map(([name, user]) => [user.id, name]));
    return rows.map((row) => byId.get(Number(row.id)) ?? `unknown ${row.id}`).sort();
  };
  const recordOf = async (name: string): Promise<SelectorRecord> =>
    toSelectorRecord(
      await selectSelectorRecords(database.db)
        .where('users.id', '=', users.get(name)?.id ?? 0)
        .executeTakeFirstOrThrow(),
    );

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const db = database.db;
    acme = await insertAccount(db, 'acme', { activated_at: '2015-01-01T00:00:00.000Z' });
    const late = await insertAccount(db, 'late', { activated_at: AFTER });
    const neverActivated = await insertAccount(db, 'expired', { status: 'trial_expired', activated_at: null });
    const sellOnly = await insertAccount(db, 'sellco', { activated_at: BEFORE, products_mask: mask('sell') });
    const add = async (account: Account, name: string, overrides: Partial<User>, passwordChangedAt: string | null): Promise<void> => {
      const user = await insertUser(db, account, `${name}@${account.subdomain}.test`, {
        created_at: '2014-01-01T00:00:00.000Z',
        ...overrides,
      });
      users.set(name, user);
      if (passwordChangedAt === null) return;
      await db
        .insertInto('password_credentials')
        .values({
          account_id: user.account_id,
          user_id: user.id,
          password_hash: '$argon2id$placeholder',
          password_changed_at: passwordChangedAt,
          must_change: 0,
        })
        .execute();
    };
    await add(acme, 'ana', { role: 'agent' }, BEFORE); // in
    await add(acme, 'gina', { role: 'admin', products_mask: mask('support') }, '2016-10-31T23:59:59.999Z'); // in: the last moment before
    await add(acme, 'erin', { role: 'end-user', products_mask: mask('support') }, BEFORE); // in
    await add(acme, 'bob', { role: 'agent' }, AFTER); // changed since the cutoff
    await add(acme, 'hank', { role: 'agent' }, CUTOFF); // changed at the cutoff: not before it
    await add(acme, 'carl', { role: 'agent', sso: 1 }, BEFORE); // SSO
    await add(acme, 'dana', { role: 'agent', active: 0 }, BEFORE); // inactive agent
    await add(acme, 'ivan', { role: 'agent' }, null); // no password
    await add(acme, 'jill', { role: 'agent', products_mask: mask('talk', 'guide') }, BEFORE); // neither Support nor Chat
    await add(acme, 'fred', { role: 'end-user', products_mask: mask('guide') }, BEFORE); // an end user of Guide only
    await add(acme, 'kate', { role: 'end-user', products_mask: mask('chat'), active: 0 }, BEFORE); // an end user of Chat only
    await add(acme, 'lena', { role: 'agent', created_at: AFTER, last_login_at: AFTER }, BEFORE); // created after, password "before": in
    await add(acme, 'sam', { role: 'agent', realm: 'sell', products_mask: mask('sell') }, BEFORE); // another realm
    await add(late, 'lou', { role: 'agent' }, BEFORE); // account activated after the cutoff
    await add(neverActivated, 'nina', { role: 'agent' }, BEFORE); // account never activated
    await add(sellOnly, 'sven', { role: 'agent', realm: 'sell', products_mask: mask('sell') }, BEFORE);
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('selects exactly the seed case of the issue, and evaluation agrees user by user', async () => {
    expect(await matchedNames(SEED_CASE)).toEqual(['ana', 'erin', 'gina', 'lena']);
    for (const name of users.keys()) {
      expect([name, evaluateSelector(SEED_CASE, await recordOf(name))]).toEqual([name, ['ana', 'erin', 'gina', 'lena'].includes(name)]);
    }
  });

  it('is one query that callers can count and group', async () => {
    const { targets } = await compileUserSelector(database.db, SEED_CASE)
      .select((eb) => eb.fn.countAll<number>().as('targets'))
      .executeTakeFirstOrThrow();
    expect(Number(targets)).toBe(4);
    const byRole = await compileUserSelector(database.db, SEED_CASE)
      .select(['users.role', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('users.role')
      .orderBy('users.role')
      .execute();
    expect(byRole.map((row) => [row.role, Number(row.count)])).toEqual([
      ['admin', 1],
      ['agent', 2],
      ['end-user', 1],
    ]);
    // The set as a CTE: the seed case's users with both Support and Chat.
    const subquery = await database.db
      .with('targets', () => selectUsersMatching(database.db, SEED_CASE))
      .selectFrom('users')
      .innerJoin('targets', (join) => join.onRef('targets.account_id', '=', 'users.account_id').onRef('targets.id', '=', 'users.id'))
      .select('users.email')
      .where('users.products_mask', '=', mask('support', 'chat'))
      .orderBy('users.email')
      .execute();
    expect(subquery.map((row) => row.email)).toEqual(['ana@acme.test', 'lena@acme.test']);
  });

  it('binds every value as a parameter', () => {
    const compiled = selectUsersMatching(database.db, SEED_CASE).compile();
    expect(compiled.sql).not.toContain('2016');
    expect(compiled.sql).not.toContain('core');
    expect(compiled.parameters).toContain(CUTOFF);
    expect(compiled.parameters).toContain('core');
  });

  it('joins in selectUsersMatching only the tables the selector tests', () => {
    const sqlOf = (selector: Selector): string => selectUsersMatching(database.db, selector).compile().sql;
    const byId = sqlOf({ field: 'account.id', op: 'in', value: [acme.id] });
    expect(byId).not.toContain('accounts');
    expect(byId).not.toContain('password_credentials');
    expect(sqlOf({ field: 'account.status', op: 'eq', value: 'active' })).not.toContain('password_credentials');
    expect(sqlOf({ not: { field: 'user.has_password', op: 'eq', value: true } })).not.toContain('accounts');
    expect(sqlOf(SEED_CASE)).toMatch(/join "accounts".*left join "password_credentials"/);
  });

  it('treats NULL as documented: a clause on NULL is false, its negation true', async () => {
    const noPassword = ['ivan'];
    const before = { field: 'user.password_changed_at', op: 'before', value: '2100-01-01T00:00:00Z' } as const;
    const acmeOnly = { field: 'account.id', op: 'eq', value: acme.id } as const;
    expect(await matchedNames(parseSelector({ all: [acmeOnly, { not: before }] }))).toEqual(noPassword);
    expect(await matchedNames(parseSelector({ all: [acmeOnly, { field: 'user.has_password', op: 'eq', value: false }] }))).toEqual(
      noPassword,
    );
    expect(
      await matchedNames(parseSelector({ all: [acmeOnly, { field: 'user.password_changed_at', op: 'is_null', value: true }] })),
    ).toEqual(noPassword);
    expect(await matchedNames(parseSelector({ not: { field: 'account.activated_at', op: 'after', value: '1970-01-01' } }))).toEqual([
      'nina',
    ]);
    expect(await matchedNames(parseSelector({ field: 'user.last_login_at', op: 'is_null', value: false }))).toEqual(['lena']);
  });

  it('explains a matched user: every clause with its value', async () => {
    const explained = explainSelector(SEED_CASE, await recordOf('ana'));
    expect(explained.matched).toBe(true);
    expect(clauseResults(explained)).toEqual([
      ['all[0]', true, '2015-01-01T00:00:00.000Z'],
      ['all[1]', true, 'core'],
      ['all[2].any[0].all[0]', true, 'agent'],
      ['all[2].any[0].all[1]', true, true],
      ['all[2].any[0].all[2]', true, ['support', 'chat']],
      ['all[2].any[1].all[0]', false, 'agent'],
      ['all[2].any[1].all[1]', true, ['support', 'chat']],
      ['all[3]', true, BEFORE],
      ['all[4]', true, false],
    ]);
    const any = (explained as { all: ExplainedSelector[] }).all[2];
    expect(any).toMatchObject({ path: 'all[2]', matched: true, any: [{ matched: true }, { matched: false }] });
    expect((explained as { all: ExplainedSelector[] }).all[0]).toEqual({
      field: 'account.activated_at',
      op: 'before',
      value: CUTOFF,
      actual: '2015-01-01T00:00:00.000Z',
      matched: true,
      path: 'all[0]',
    });
  });

  it('explains an unmatched user: the clause that failed says why', async () => {
    const bob = explainSelector(SEED_CASE, await recordOf('bob'));
    expect(bob.matched).toBe(false);
    expect(clauseResults(bob).filter(([, matched]) => !matched)).toEqual([
      ['all[2].any[1].all[0]', false, 'agent'],
      ['all[3]', false, AFTER],
    ]);
    const ivan = explainSelector(SEED_CASE, await recordOf('ivan'));
    expect(clauseResults(ivan).filter(([, matched]) => !matched)).toEqual([
      ['all[2].any[1].all[0]', false, 'agent'],
      ['all[3]', false, null],
    ]);
    const nina = explainSelector({ not: { field: 'account.activated_at', op: 'before', value: CUTOFF } }, await recordOf('nina'));
    expect(nina).toEqual({
      not: { field: 'account.activated_at', op: 'before', value: CUTOFF, actual: null, matched: false, path: 'not' },
      matched: true,
      path: '',
    });
  });

  it('explains an account alone for an account selector, and asks for a user for a user selector', () => {
    const record: SelectorRecord = { account: acme };
    expect(explainSelector({ field: 'account.products', op: 'overlaps', value: ['chat'] }, record)).toMatchObject({
      matched: true,
      actual: ['support', 'chat'],
    });
    expect(() => explainSelector(SEED_CASE, record)).toThrow(expect.objectContaining({ code: 'SelectorNeedsUser', status: 422 }));
  });

  it('selects accounts with an account-only selector, and refuses user fields naming their paths', async () => {
    const activatedEarly = parseSelector({
      all: [
        { field: 'account.activated_at', op: 'before', value: CUTOFF },
        { field: 'account.status', op: 'in', value: ['active', 'trial'] },
        { not: { field: 'account.products', op: 'eq', value: ['sell'] } },
      ],
    });
    const rows = await selectAccountsMatching(database.db, activatedEarly).execute();
    expect(rows.map((row) => Number(row.id))).toEqual([acme.id]);
    const unactivated = await selectAccountsMatching(database.db, { field: 'account.activated_at', op: 'is_null', value: true }).execute();
    expect(unactivated).toHaveLength(1);

    let refusal: unknown;
    try {
      selectAccountsMatching(database.db, SEED_CASE);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: 'InvalidSelector', status: 422 });
    expect((refusal as AppError).details).toEqual({
      problems: [
        'all[1]',
        'all[2].any[0].all[0]',
        'all[2].any[0].all[1]',
        'all[2].any[0].all[2]',
        'all[2].any[1].all[0]',
        'all[2].any[1].all[1]',
        'all[3]',
        'all[4]',
      ].map((path) => ({ path: `${path}.field`, rule: 'user_field_in_account_selector', description: expect.any(String) })),
    });
  });

  it('validates again whatever it is given, and leaves the tables as they were', async () => {
    const forged = { field: 'user.role', op: 'eq', value: "x'; delete from users; --" } as unknown as Selector;
    expect(() => selectUsersMatching(database.db, forged)).toThrow(expect.objectContaining({ code: 'InvalidSelector' }));
    expect(() => compileUserSelector(database.db, { all: [] })).toThrow(expect.objectContaining({ code: 'InvalidSelector' }));
    const { count } = await database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(users.size);
  });
});

/** `[path, matched, actual]` of every clause, in document order. */
function clauseResults(node: ExplainedSelector): Array<[string, boolean, unknown]> {
  if ('field' in node) return [[node.path, node.matched, node.actual]];
  if ('not' in node) return clauseResults(node.not);
  return ('all' in node ? node.all : node.any).flatMap(clauseResults);
}
