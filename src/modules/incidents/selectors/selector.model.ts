import { AppError } from '../../../errors.js';
import { PRODUCTS, productsToMask, maskToProducts, isProduct, type Product } from '../../../platform/products.js';
import {
  fieldSpec,
  isSelectorField,
  isSelectorOp,
  SELECTOR_COMBINATORS,
  SELECTOR_FIELDS,
  SELECTOR_OPS,
  type BooleanField,
  type EnumField,
  type FieldSpec,
  type IdField,
  type NullableField,
  type ProductsField,
  type SelectorOp,
  type TimestampField,
} from './selector.fields.js';
import { normaliseTimestamp } from '../../../platform/timestamps.js';

/**
 * A selector: exposure and rotation rules as data (DESIGN.md, "Selectors").
 * Stored as JSON with the incident, compiled to one SQL query
 * (`selector.compile.ts`) and evaluated on one record to explain a match
 * (`selector.explain.ts`). Only `parseSelector` makes one from input.
 */
export type SelectorClause =
  | { field: IdField; op: 'eq'; value: number }
  | { field: IdField; op: 'in'; value: number[] }
  | { field: EnumField; op: 'eq'; value: string }
  | { field: EnumField; op: 'in'; value: string[] }
  | { field: BooleanField; op: 'eq'; value: boolean }
  | { field: TimestampField; op: 'before' | 'after'; value: string }
  /** `value: true` matches null, `false` matches any value. */
  | { field: NullableField; op: 'is_null'; value: boolean }
  /** Product names, deduplicated, in the order of `PRODUCTS`. */
  | { field: ProductsField; op: 'overlaps' | 'eq'; value: Product[] };

export interface AllSelector {
  all: Selector[];
}
export interface AnySelector {
  any: Selector[];
}
export interface NotSelector {
  not: Selector;
}
export type Selector = SelectorClause | AllSelector | AnySelector | NotSelector;

export const isClause = (selector: Selector): selector is SelectorClause => 'field' in selector;

export const SELECTOR_LIMITS = {
  /** Levels of nesting, the root being level 1. */
  depth: 8,
  /** Clauses in one selector. */
  clauses: 200,
  /** Values in one `in` or product list. */
  listValues: 1_000,
  /** Values over the whole selector: each is one bound parameter of the query (SQLite allows 32,766). */
  totalValues: 10_000,
} as const;

/** Problems reported at most; the parser stops there. */
const LISTED_PROBLEMS = 20;

/** The rules a selector problem names. */
export const SELECTOR_RULES = [
  'invalid_node',
  'unknown_key',
  'empty',
  'too_deep',
  'too_many_clauses',
  'unknown_field',
  'unknown_op',
  'invalid_op',
  'invalid_value',
  'unknown_value',
  'invalid_timestamp',
  'too_many_values',
] as const;
export type SelectorRule = (typeof SELECTOR_RULES)[number];

export interface SelectorProblem {
  /** Where inside the selector, e.g. `all[2].any[0].all[1].op`; `''` for the selector itself. */
  path: string;
  rule: SelectorRule;
  description: string;
}

/**
 * Validates a selector given as parsed JSON and returns it normalised
 * (timestamps as `toISOString()`, lists deduplicated, products in their
 * canonical order), built afresh so nothing of the input object survives.
 * Throws `InvalidSelector` (422) naming the path of each problem.
 *
 * @example
 * const selector = parseSelector(JSON.parse(body));
 * // { all: [{ field: 'user.realm', op: 'eq', value: 'core' }, ...] }
 */
export function parseSelector(input: unknown): Selector {
  const parser = new SelectorParser();
  const selector = parser.node(input, '', 1);
  if (parser.problems.length > 0 || selector === undefined) throw invalidSelector(parser.problems, parser.stopped);
  return selector;
}

const displayPath = (path: string): string => (path === '' ? 'the selector' : path);

function invalidSelector(problems: readonly SelectorProblem[], stopped: boolean): AppError {
  const lines = problems.map((p) => `${displayPath(p.path)}: ${p.description}`);
  const head =
    problems.length === 1 ? 'The selector is invalid' : `The selector has ${problems.length}${stopped ? ' or more' : ''} problems`;
  return new AppError(
    'InvalidSelector',
    `${head}. Fix ${problems.length === 1 ? 'it' : 'them'} and submit it again.\n${lines.join('\n')}`,
    {
      details: { problems: problems.map((p) => ({ ...p })), ...(stopped ? { stopped_after: LISTED_PROBLEMS } : {}) },
    },
  );
}

const childPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** A value as it may appear in a message: short, and never the whole of a huge input. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return `a ${typeof value}`;
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Plain JSON objects only: not arrays, not class instances, not objects whose prototype was replaced. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO-8601 instant (or a bare date: midnight UTC) as `toISOString()`. */
function normaliseSelectorTimestamp(value: string): string | undefined {
  return normaliseTimestamp(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
}

class SelectorParser {
  readonly problems: SelectorProblem[] = [];
  private clauses = 0;
  private values = 0;
  /** Set when going on would only repeat the same problem (too many clauses). */
  private halted = false;

  get stopped(): boolean {
    return this.halted || this.problems.length >= LISTED_PROBLEMS;
  }

  private problem(path: string, rule: SelectorRule, description: string): undefined {
    if (!this.stopped) this.problems.push({ path, rule, description });
    return undefined;
  }

  node(input: unknown, path: string, depth: number): Selector | undefined {
    if (this.stopped) return undefined;
    if (!isPlainObject(input)) {
      return this.problem(
        path,
        'invalid_node',
        `expected an object, a clause {field, op, value} or {all: [...]}, {any: [...]}, {not: {...}}; got ${show(input)}`,
      );
    }
    if (depth > SELECTOR_LIMITS.depth) {
      return this.problem(path, 'too_deep', `nested more than ${SELECTOR_LIMITS.depth} levels deep; flatten the selector`);
    }
    const keys = Object.keys(input);
    const combinators = SELECTOR_COMBINATORS.filter((key) => Object.hasOwn(input, key));
    if (combinators.length > 1) {
      return this.problem(path, 'invalid_node', `has both ${combinators.join(' and ')}; a node is one of {all}, {any}, {not} or a clause`);
    }
    const combinator = combinators[0];
    if (combinator !== undefined) {
      for (const key of keys) if (key !== combinator) this.problem(childPath(path, key), 'unknown_key', `unknown key beside ${combinator}`);
      return combinator === 'not'
        ? this.negation(input.not, childPath(path, 'not'), depth)
        : this.list(combinator, input[combinator], childPath(path, combinator), depth);
    }
    if (!Object.hasOwn(input, 'field') && !Object.hasOwn(input, 'op')) {
      return this.problem(
        path,
        'invalid_node',
        `expected a clause {field, op, value} or {all: [...]}, {any: [...]}, {not: {...}}; got ${show(input)}`,
      );
    }
    for (const key of keys) {
      if (key !== 'field' && key !== 'op' && key !== 'value')
        this.problem(childPath(path, key), 'unknown_key', 'unknown key; a clause has field, op and value');
    }
    return this.clause(input, path);
  }

  private negation(input: unknown, path: string, depth: number): Selector | undefined {
    const inner = this.node(input, path, depth + 1);
    return inner === undefined ? undefined : { not: inner };
  }

  private list(combinator: 'all' | 'any', input: unknown, path: string, depth: number): Selector | undefined {
    if (!Array.isArray(input)) return this.problem(path, 'invalid_node', `${combinator} takes a list of selectors; got ${show(input)}`);
    if (input.length === 0) return this.problem(path, 'empty', `${combinator} is empty; give it at least one selector`);
    if (input.length > SELECTOR_LIMITS.clauses) {
      return this.problem(
        path,
        'too_many_clauses',
        `${combinator} has ${input.length} entries; a selector holds at most ${SELECTOR_LIMITS.clauses} clauses`,
      );
    }
    const children: Selector[] = [];
    for (let index = 0; index < input.length && !this.stopped; index++) {
      const child = this.node(input[index], `${path}[${index}]`, depth + 1);
      if (child !== undefined) children.push(child);
    }
    if (children.length !== input.length) return undefined;
    return combinator === 'all' ? { all: children } : { any: children };
  }

  private clause(input: Record<string, unknown>, path: string): SelectorClause | undefined {
    this.clauses += 1;
    if (this.clauses > SELECTOR_LIMITS.clauses) {
      this.problem(path, 'too_many_clauses', `clause number ${this.clauses}; a selector holds at most ${SELECTOR_LIMITS.clauses} clauses`);
      // One report is enough: every later clause would say the same.
      this.halted = true;
      return undefined;
    }
    const { field, op } = input;
    const fieldOk = isSelectorField(field);
    if (!fieldOk) {
      this.problem(
        childPath(path, 'field'),
        'unknown_field',
        typeof field === 'string' && /^(installation|certificate)\./.test(field)
          ? `${show(field)} is not a field selectors can test yet; fields are account.* and user.*`
          : `unknown field ${show(field)}; fields are ${Object.keys(SELECTOR_FIELDS).join(', ')}`,
      );
    }
    if (!isSelectorOp(op)) {
      const combinator = SELECTOR_COMBINATORS.find((name) => name === op);
      return this.problem(
        childPath(path, 'op'),
        'unknown_op',
        combinator !== undefined
          ? `${combinator} is written as a node, {${combinator}: ...}, not as an op`
          : `unknown op ${show(op)}; ops are ${SELECTOR_OPS.join(', ')}`,
      );
    }
    if (!fieldOk) return undefined;
    const spec = fieldSpec(field);
    if (!spec.ops.includes(op)) {
      const reason = op === 'is_null' && spec.type === 'timestamp' ? ` (${field} is never null)` : '';
      return this.problem(childPath(path, 'op'), 'invalid_op', `${op} does not apply to ${field}${reason}; use ${spec.ops.join(' or ')}`);
    }
    const valuePath = childPath(path, 'value');
    if (!Object.hasOwn(input, 'value')) return this.problem(valuePath, 'invalid_value', `missing; ${expected(spec, op)}`);
    const value = this.value(spec, op, input.value, valuePath);
    // The pairing of field, op and value type was checked just above against the field table.
    return value === undefined ? undefined : ({ field, op, value } as SelectorClause);
  }

  private value(spec: FieldSpec, op: SelectorOp, raw: unknown, path: string): SelectorClause['value'] | undefined {
    const wrongType = (): undefined => this.problem(path, 'invalid_value', `${expected(spec, op)}; got ${show(raw)}`);
    const unique = <T>(items: T[] | undefined | null): T[] | undefined =>
      items === undefined ? wrongType() : items === null ? undefined : [...new Set(items)];
    if (op === 'is_null' || spec.type === 'boolean') return typeof raw === 'boolean' ? raw : wrongType();
    switch (spec.type) {
      case 'timestamp': {
        if (typeof raw !== 'string') return wrongType();
        const normalised = normaliseSelectorTimestamp(raw);
        if (normalised !== undefined) return normalised;
        return this.problem(path, 'invalid_timestamp', `${show(raw)} is not a timestamp; write ISO-8601 such as "2016-11-01T00:00:00Z"`);
      }
      case 'products': {
        const names = unique(
          this.valueList(raw, path, op === 'overlaps', (item, at) => (isProduct(item) ? item : this.unknownValue(item, at, PRODUCTS))),
        );
        return names === undefined ? undefined : maskToProducts(productsToMask(names));
      }
      case 'id':
        return op === 'eq' ? this.id(raw, path) : unique(this.valueList(raw, path, true, (item, at) => this.id(item, at)));
      case 'enum': {
        const values = spec.values ?? [];
        if (op !== 'eq') return unique(this.valueList(raw, path, true, (item, at) => this.enumValue(values, item, at)));
        return Array.isArray(raw) ? wrongType() : this.enumValue(values, raw, path);
      }
    }
  }

  /** The items of a list value; `undefined` when not a list (a type problem), `null` when an item was wrong (reported). */
  private valueList<T>(
    raw: unknown,
    path: string,
    nonEmpty: boolean,
    item: (value: unknown, at: string) => T | undefined,
  ): T[] | undefined | null {
    if (!Array.isArray(raw)) return undefined;
    if (nonEmpty && raw.length === 0) {
      this.problem(path, 'empty', 'the list is empty; give at least one value');
      return null;
    }
    if (raw.length > SELECTOR_LIMITS.listValues) {
      this.problem(path, 'too_many_values', `${raw.length} values; a list holds at most ${SELECTOR_LIMITS.listValues}`);
      return null;
    }
    this.values += raw.length;
    if (this.values > SELECTOR_LIMITS.totalValues) {
      this.problem(
        path,
        'too_many_values',
        `the selector has more than ${SELECTOR_LIMITS.totalValues} values in all; import a list of accounts instead`,
      );
      return null;
    }
    const items: T[] = [];
    for (let index = 0; index < raw.length && !this.stopped; index++) {
      const parsed = item(raw[index], `${path}[${index}]`);
      if (parsed !== undefined) items.push(parsed);
    }
    return items.length === raw.length ? items : null;
  }

  private id(raw: unknown, path: string): number | undefined {
    if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0) return raw;
    return this.problem(path, 'invalid_value', `expected an account id (a positive integer); got ${show(raw)}`);
  }

  private enumValue(values: readonly string[], raw: unknown, path: string): string | undefined {
    if (typeof raw !== 'string')
      return this.problem(path, 'invalid_value', `expected a string, one of ${values.join(', ')}; got ${show(raw)}`);
    return values.includes(raw) ? raw : this.unknownValue(raw, path, values);
  }

  private unknownValue(raw: unknown, path: string, values: readonly string[]): undefined {
    return this.problem(
      path,
      typeof raw === 'string' ? 'unknown_value' : 'invalid_value',
      `${show(raw)} is not one of ${values.join(', ')}`,
    );
  }
}

/** What a value of `op` on a field of this spec looks like, for messages. */
function expected(spec: FieldSpec, op: SelectorOp): string {
  if (op === 'is_null') return 'expected true (is null) or false (is not null)';
  switch (spec.type) {
    case 'boolean':
      return 'expected true or false';
    case 'timestamp':
      return 'expected an ISO-8601 timestamp string';
    case 'products':
      return `expected a list of products (${PRODUCTS.join(', ')})`;
    case 'id':
      return op === 'in' ? 'expected a list of account ids' : 'expected an account id';
    case 'enum':
      return op === 'in' ? `expected a list of ${(spec.values ?? []).join(', ')}` : `expected one of ${(spec.values ?? []).join(', ')}`;
  }
}

/** Every clause of a selector with its path, in document order. */
export function selectorClauses(selector: Selector, path = ''): Array<{ clause: SelectorClause; path: string }> {
  if (isClause(selector)) return [{ clause: selector, path }];
  if ('not' in selector) return selectorClauses(selector.not, childPath(path, 'not'));
  const [key, children] = 'all' in selector ? (['all', selector.all] as const) : (['any', selector.any] as const);
  return children.flatMap((child, index) => selectorClauses(child, `${childPath(path, key)}[${index}]`));
}

/** Clauses that test user fields: a selector without them is account-level. */
export const userClauses = (selector: Selector): Array<{ clause: SelectorClause; path: string }> =>
  selectorClauses(selector).filter(({ clause }) => fieldSpec(clause.field).entity === 'user');

export { childPath as selectorChildPath };
