/**
 * What an attacker types: hostile values by category, each in the three forms
 * a request carries it (a JSON body, a URL path segment or query value, a
 * form field), and a seeded choice among them so a failing case names the
 * same request on every run.
 */

/** The kinds of hostile value every route gets at least one of, in a body field, path segment or query parameter. */
export const VALUE_CATEGORIES = ['sql', 'script', 'redirect', 'control', 'long', 'number', 'unicode'] as const;
export type ValueCategory = (typeof VALUE_CATEGORIES)[number];

export interface HostileValue {
  category: ValueCategory;
  /** Short and printable, for failure messages. */
  label: string;
  /** The value as JSON text: a quoted string, a raw number literal, or bytes no encoder would produce. */
  json: Buffer;
  /** The value percent-encoded for a path segment or a query string. */
  url: string;
}

const printable = (value: string): string => JSON.stringify(value.length > 24 ? `${value.slice(0, 24)}…(${value.length})` : value);
const percentEncode = (bytes: Uint8Array): string =>
  [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

const text = (category: ValueCategory, value: string): HostileValue => ({
  category,
  label: printable(value),
  json: Buffer.from(JSON.stringify(value)),
  url: encodeURIComponent(value),
});

/** Bytes that are not well-formed UTF-8, sent as they are (JSON may carry them escaped instead). */
const rawBytes = (category: ValueCategory, label: string, bytes: number[], jsonText?: string): HostileValue => ({
  category,
  label,
  json: jsonText === undefined ? Buffer.concat([Buffer.from('"'), Buffer.from(bytes), Buffer.from('"')]) : Buffer.from(jsonText),
  url: percentEncode(Uint8Array.from(bytes)),
});

/** A JSON number literal no JavaScript number holds faithfully (or no JSON parser accepts). */
const literal = (value: string): HostileValue => ({ category: 'number', label: value, json: Buffer.from(value), url: value });

export const HOSTILE_STRINGS: readonly HostileValue[] = [
  text('sql', "' OR 1=1 --"),
  text('sql', '"; drop table users; --'),
  text('sql', "1' UNION SELECT password_hash FROM password_credentials --"),
  text('sql', "x'); select pg_sleep(5); --"),
  text('sql', '{"$gt":""}'),
  text('sql', '__proto__'),
  text('sql', '%00../../etc/passwd'),
  text('script', '<script>alert(1)</script>'),
  text('script', '"><img src=x onerror=alert(1)>'),
  text('script', "'><svg onload=alert(1)>"),
  text('script', "{{constructor.constructor('alert(1)')()}}"),
  text('redirect', 'javascript:alert(1)'),
  text('redirect', '//evil.test/x'),
  text('redirect', 'https://evil.test/x'),
  text('redirect', '/\\evil.test'),
  // Half carry a NUL, which PostgreSQL refuses in text; the others get past the NUL refusal to the handlers.
  text('control', '\u0000'),
  text('control', 'a\u001b[31mred\u001b[0m\u0008'),
  text('control', 'a\r\nSet-Cookie: injected=1'),
  text('control', '\u0007\u007f\u0085\u0000'),
  text('long', 'x'.repeat(100_000)),
  text('long', '€'.repeat(35_000)),
  text('number', '-1'),
  text('number', '1e400'),
  text('number', '9223372036854775808'),
  text('number', 'NaN'),
  text('number', '-0'),
  text('number', 'Infinity'),
  rawBytes('unicode', 'lone surrogate \\ud800', [0xed, 0xa0, 0x80], '"\\ud800"'),
  rawBytes('unicode', 'overlong "/" C0 AF', [0xc0, 0xaf]),
  rawBytes('unicode', 'overlong NUL C0 80', [0xc0, 0x80]),
  rawBytes('unicode', 'five-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]),
  text('unicode', '\u202egnp.exe'),
  text('unicode', 'a\u200bb\u200c\u200d\ufeff'),
  text('unicode', '👩‍👩‍👧‍👦🏳️‍🌈'),
  text('unicode', 'e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301'),
];

/** What goes into a number field: out of range, not a number at all, or the wrong type. */
export const HOSTILE_NUMBERS: readonly HostileValue[] = [
  literal('-1'),
  literal('1e400'),
  literal('-1e400'),
  literal('9223372036854775808'),
  literal('1e-400'),
  literal('NaN'),
  literal('0.5'),
  literal('null'),
  literal('[]'),
  literal('{}'),
];

/** Script payloads that must never come back unescaped in a page. */
export const REFLECTED_MARKUP = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg onload=alert(1)>'];

/** FNV-1a: a stable hash of a case's name. */
function hashOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index += 1) hash = Math.imul(hash ^ name.charCodeAt(index), 0x01000193) >>> 0;
  return hash;
}

/**
 * One value of `category` for the case `name`: the same on every run with the
 * same seed, a different one under another seed (each backend sees different
 * values, so the two runs together cover more).
 */
export function hostileValueFor(seed: number, name: string, category: ValueCategory, field: 'string' | 'number'): HostileValue {
  const pool =
    field === 'number' && category === 'number' ? HOSTILE_NUMBERS : HOSTILE_STRINGS.filter((value) => value.category === category);
  const chosen = pool[hashOf(`${seed}:${name}`) % pool.length];
  if (chosen === undefined) throw new Error(`no hostile value of category ${category}`);
  return chosen;
}

/** JSON nested far deeper than any request needs. */
export const deeplyNested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
export const deeplyNestedArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
