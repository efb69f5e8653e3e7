import { describe, expect, it } from 'vitest';
import { AppError } from '../../../errors.js';
import { parseSelector, SELECTOR_LIMITS, selectorClauses, type SelectorProblem } from './selector.model.js';

/** DESIGN.md, "Selectors (exposure and rotation rules as data)", verbatim. */
const DESIGN_EXAMPLE = `{ "all": [
  { "field": "account.activated_at", "op": "before", "value": "2016-11-01T00:00:00Z" },
  { "field": "user.realm", "op": "eq", "value": "core" },
  { "any": [
    { "all": [ { "field": "user.role", "op": "in", "value": ["agent", "admin"] },
               { "field": "user.active", "op": "eq", "value": true },
               { "field": "user.products", "op": "overlaps", "value": ["support", "chat"] } ] },
    { "all": [ { "field": "user.role", "op": "eq", "value": "end-user" },
               { "field": "user.created_at", "op": "before", "value": "2016-11-01T00:00:00Z" } ] } ] },
  { "field": "user.password_changed_at", "op": "before", "value": "2016-11-01T00:00:00Z" },
  { "field": "user.sso", "op": "eq", "value": false }
] }`;

const CUTOFF = '2016-11-01T00:00:00.000Z';

/** The problems `parseSelector` reports for `input`; fails the test if it accepts it. */
function problemsOf(input: unknown): SelectorProblem[] {
  try {
    parseSelector(input);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe('InvalidSelector');
    expect(appError.status).toBe(422);
    const problems = (appError.details as { problems: SelectorProblem[] }).problems;
    // The message names every path it reports.
    for (const problem of problems) expect(appError.message).toContain(`${problem.path === '' ? 'the selector' : problem.path}: `);
    return problems;
  }
  throw new Error(`parseSelector accepted ${JSON.stringify(input)}`);
}

const clause = (field: string, op: string, value: unknown): Record<string, unknown> => ({ field, op, value });
const ok = clause('user.sso', 'eq', false);

/** Wraps `inner` at `all[2].any[0].all[1]`, the brief's example path. */
const nested = (inner: unknown): unknown => ({ all: [ok, ok, { any: [{ all: [ok, inner] }] }] });

describe('parseSelector', () => {
  it("parses DESIGN.md's example and normalises its timestamps", () => {
    const selector = parseSelector(JSON.parse(DESIGN_EXAMPLE));
    const clauses = selectorClauses(selector);
    expect(clauses.map(({ path }) => path)).toEqual([
      'all[0]',
      'all[1]',
      'all[2].any[0].all[0]',
      'all[2].any[0].all[1]',
      'all[2].any[0].all[2]',
      'all[2].any[1].all[0]',
      'all[2].any[1].all[1]',
      'all[3]',
      'all[4]',
    ]);
    expect(clauses[0]?.clause).toEqual({ field: 'account.activated_at', op: 'before', value: CUTOFF });
    expect(clauses[4]?.clause).toEqual({ field: 'user.products', op: 'overlaps', value: ['support', 'chat'] });
    // Parsing its own output changes nothing: a stored selector reloads as it was.
    expect(parseSelector(JSON.parse(JSON.stringify(selector)))).toEqual(selector);
  });

  it('normalises values: timestamps with offsets or bare dates, deduplicated lists, products in canonical order', () => {
    expect(
      parseSelector({
        all: [
          clause('user.created_at', 'after', '2016-11-01T02:00:00+02:00'),
          clause('user.last_login_at', 'before', '2016-11-01'),
          clause('user.role', 'in', ['agent', 'admin', 'agent']),
          clause('user.products', 'overlaps', ['chat', 'support', 'chat']),
          clause('account.products', 'eq', []),
          clause('account.id', 'in', [7, 3, 7]),
        ],
      }),
    ).toEqual({
      all: [
        clause('user.created_at', 'after', CUTOFF),
        clause('user.last_login_at', 'before', CUTOFF),
        clause('user.role', 'in', ['agent', 'admin']),
        clause('user.products', 'overlaps', ['support', 'chat']),
        clause('account.products', 'eq', []),
        clause('account.id', 'in', [7, 3]),
      ],
    });
  });

  it('accepts 8 levels and 200 clauses, and no more', () => {
    let eight: unknown = ok;
    for (let level = 1; level < SELECTOR_LIMITS.depth; level++) eight = { not: eight };
    expect(() => parseSelector(eight)).not.toThrow();
    expect(problemsOf({ not: eight })).toEqual([
      { path: 'not.not.not.not.not.not.not.not', rule: 'too_deep', description: expect.any(String) },
    ]);

    expect(() => parseSelector({ all: Array.from({ length: 200 }, () => ok) })).not.toThrow();
    expect(problemsOf({ all: Array.from({ length: 201 }, () => ok) })).toEqual([
      { path: 'all', rule: 'too_many_clauses', description: expect.stringContaining('at most 200') },
    ]);
    const half = { all: Array.from({ length: 150 }, () => ok) };
    expect(problemsOf({ any: [half, half] })).toEqual([
      { path: 'any[1].all[50]', rule: 'too_many_clauses', description: expect.any(String) },
    ]);
  });

  const refusals: Array<[string, unknown, Array<Pick<SelectorProblem, 'path' | 'rule'>>]> = [
    [
      'an op that does not apply to the field',
      nested(clause('user.created_at', 'eq', CUTOFF)),
      [{ path: 'all[2].any[0].all[1].op', rule: 'invalid_op' }],
    ],
    [
      'is_null on a field that is never null',
      nested(clause('user.created_at', 'is_null', true)),
      [{ path: 'all[2].any[0].all[1].op', rule: 'invalid_op' }],
    ],
    ['an unknown op', nested(clause('user.created_at', 'lt', CUTOFF)), [{ path: 'all[2].any[0].all[1].op', rule: 'unknown_op' }]],
    ['a combinator written as an op', clause('user.sso', 'not', false), [{ path: 'op', rule: 'unknown_op' }]],
    ['an unknown field', nested(clause('user.email', 'eq', 'a@b.test')), [{ path: 'all[2].any[0].all[1].field', rule: 'unknown_field' }]],
    [
      'a field of a later issue',
      { all: [clause('installation.created_at', 'before', CUTOFF)] },
      [{ path: 'all[0].field', rule: 'unknown_field' }],
    ],
    [
      'a boolean given as a string',
      nested(clause('user.active', 'eq', 'yes')),
      [{ path: 'all[2].any[0].all[1].value', rule: 'invalid_value' }],
    ],
    ['an id given as a string', { not: clause('account.id', 'eq', '12') }, [{ path: 'not.value', rule: 'invalid_value' }]],
    ['a fractional id in a list', clause('account.id', 'in', [1, 2.5]), [{ path: 'value[1]', rule: 'invalid_value' }]],
    ['a list given to eq', clause('user.role', 'eq', ['agent']), [{ path: 'value', rule: 'invalid_value' }]],
    ['a single value given to in', clause('user.role', 'in', 'agent'), [{ path: 'value', rule: 'invalid_value' }]],
    ['an unknown enum value', nested(clause('user.role', 'eq', 'owner')), [{ path: 'all[2].any[0].all[1].value', rule: 'unknown_value' }]],
    ['an unknown realm in a list', clause('user.realm', 'in', ['core', 'zendesk']), [{ path: 'value[1]', rule: 'unknown_value' }]],
    ['an unknown product', clause('user.products', 'overlaps', ['support', 'tickets']), [{ path: 'value[1]', rule: 'unknown_value' }]],
    ['an impossible date', clause('user.created_at', 'before', '2016-02-30T00:00:00Z'), [{ path: 'value', rule: 'invalid_timestamp' }]],
    ['words for a timestamp', clause('user.created_at', 'before', 'yesterday'), [{ path: 'value', rule: 'invalid_timestamp' }]],
    ['a number for a timestamp', clause('user.created_at', 'before', 1478000000000), [{ path: 'value', rule: 'invalid_value' }]],
    ['is_null without a boolean', clause('user.last_login_at', 'is_null', 'yes'), [{ path: 'value', rule: 'invalid_value' }]],
    ['a missing value', { field: 'user.sso', op: 'eq' }, [{ path: 'value', rule: 'invalid_value' }]],
    ['an empty all', { any: [ok, { all: [] }] }, [{ path: 'any[1].all', rule: 'empty' }]],
    ['an empty any', { any: [] }, [{ path: 'any', rule: 'empty' }]],
    ['an empty overlaps list', clause('user.products', 'overlaps', []), [{ path: 'value', rule: 'empty' }]],
    ['an empty in list', clause('user.role', 'in', []), [{ path: 'value', rule: 'empty' }]],
    ['all given an object', { all: ok }, [{ path: 'all', rule: 'invalid_node' }]],
    ['a node that is not an object', { all: [ok, 'user.sso = 0'] }, [{ path: 'all[1]', rule: 'invalid_node' }]],
    ['a selector that is a list', [ok], [{ path: '', rule: 'invalid_node' }]],
    ['null', null, [{ path: '', rule: 'invalid_node' }]],
    ['two combinators in one node', { all: [ok], any: [ok] }, [{ path: '', rule: 'invalid_node' }]],
    ['a key beside a combinator', { all: [ok], note: 'x' }, [{ path: 'note', rule: 'unknown_key' }]],
    ['a key beside a clause', { ...ok, negate: true }, [{ path: 'negate', rule: 'unknown_key' }]],
    ['an object that is neither', { description: 'agents' }, [{ path: '', rule: 'invalid_node' }]],
  ];

  it.each(refusals)('refuses %s, naming the path', (_, input, expected) => {
    expect(problemsOf(input).map(({ path, rule }) => ({ path, rule }))).toEqual(expected);
  });

  it('reports every problem at once, each with its path', () => {
    const problems = problemsOf({
      all: [clause('user.role', 'eq', 'owner'), { any: [clause('user.colour', 'eq', 'red'), clause('user.sso', 'eq', 1)] }],
    });
    expect(problems).toEqual([
      { path: 'all[0].value', rule: 'unknown_value', description: '"owner" is not one of end-user, agent, admin' },
      { path: 'all[1].any[0].field', rule: 'unknown_field', description: expect.stringContaining('unknown field "user.colour"') },
      { path: 'all[1].any[1].value', rule: 'invalid_value', description: 'expected true or false; got 1' },
    ]);
  });
});

describe('parseSelector against hostile input', () => {
  it('refuses SQL wherever it is put: every value is checked against its type', () => {
    const injection = "agent'; drop table users; --";
    expect(problemsOf(clause('user.role', 'eq', injection))[0]?.rule).toBe('unknown_value');
    expect(problemsOf(clause('user.created_at', 'before', `${CUTOFF}' or 1=1 --`))[0]?.rule).toBe('invalid_timestamp');
    expect(problemsOf(clause('account.id', 'in', ['1) or (1=1']))[0]?.rule).toBe('invalid_value');
    expect(problemsOf(clause('users.id; drop table users', 'eq', 1))[0]?.rule).toBe('unknown_field');
    expect(problemsOf(clause('user.sso', 'eq; --', false))[0]?.rule).toBe('unknown_op');
  });

  it('refuses huge lists, long and wide selectors without walking them all', () => {
    const ids = Array.from({ length: 100_000 }, (_, index) => index + 1);
    expect(problemsOf(clause('account.id', 'in', ids))).toEqual([
      { path: 'value', rule: 'too_many_values', description: expect.stringContaining('100000 values') },
    ]);
    const thousand = clause('account.id', 'in', ids.slice(0, 1_000));
    expect(problemsOf({ any: Array.from({ length: 11 }, () => thousand) })).toEqual([
      { path: 'any[10].value', rule: 'too_many_values', description: expect.stringContaining('10000') },
    ]);
    expect(problemsOf({ all: new Array<unknown>(1_000_000).fill(ok) })[0]?.rule).toBe('too_many_clauses');
    // A hundred thousand levels: refused at level 9, without exhausting the stack.
    let deep: unknown = ok;
    for (let level = 0; level < 100_000; level++) deep = { any: [deep] };
    expect(problemsOf(deep)).toEqual([
      { path: 'any[0].any[0].any[0].any[0].any[0].any[0].any[0].any[0]', rule: 'too_deep', description: expect.any(String) },
    ]);
    // Many bad entries: the report stops at 20 problems.
    const bad = problemsOf({ all: Array.from({ length: 200 }, () => 'x') });
    expect(bad).toHaveLength(20);
  });

  it('treats __proto__, constructor and the like as unknown names, and pollutes nothing', () => {
    expect(problemsOf(JSON.parse('{"__proto__": {"field": "user.role", "op": "eq", "value": "agent"}}'))).toEqual([
      { path: '', rule: 'invalid_node', description: expect.any(String) },
    ]);
    expect(problemsOf(JSON.parse('{"field": "user.sso", "op": "eq", "value": false, "__proto__": {"polluted": true}}'))).toEqual([
      { path: '__proto__', rule: 'unknown_key', description: expect.any(String) },
    ]);
    expect(problemsOf(JSON.parse('{"all": [{"field": "user.sso", "op": "eq", "value": false}], "__proto__": {"any": []}}'))).toEqual([
      { path: '__proto__', rule: 'unknown_key', description: expect.any(String) },
    ]);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(problemsOf(clause(name, 'eq', 1))[0]?.rule).toBe('unknown_field');
      expect(problemsOf(clause('user.sso', name, false))[0]?.rule).toBe('unknown_op');
      expect(problemsOf(clause('user.role', 'eq', name))[0]?.rule).toBe('unknown_value');
      expect(problemsOf(clause('user.products', 'overlaps', [name]))[0]?.rule).toBe('unknown_value');
    }
    // A clause inherited through a replaced prototype is not a clause of the selector.
    const inherited: unknown = Object.create(ok);
    expect(problemsOf(inherited)).toEqual([{ path: '', rule: 'invalid_node', description: expect.any(String) }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('any');
  });

  it('refuses values JSON cannot carry and numbers that are not ids', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1e300, 10n, () => 1, Symbol('id')]) {
      expect(problemsOf(clause('account.id', 'eq', value))[0]?.rule).toBe('invalid_value');
    }
  });

  it('returns a selector built afresh: changing the input afterwards changes nothing', () => {
    const input = { all: [clause('user.role', 'in', ['agent'])] };
    const selector = parseSelector(input);
    (input.all[0]?.value as string[]).push('admin');
    input.all.push(clause('user.sso', 'eq', true));
    expect(selector).toEqual({ all: [clause('user.role', 'in', ['agent'])] });
  });
});
