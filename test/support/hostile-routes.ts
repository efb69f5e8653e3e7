/**
 * Routes as the hostile sweep sees them: every method and URL the
 * application registers (seen by an onRoute hook, so hidden routes count and
 * a new route is swept without anyone listing it), with the schemas that say
 * where its strings and numbers are.
 */
import type { RouteOptions } from 'fastify';
import type { HostileValue } from './hostile-values.js';

export interface JsonSchema {
  type?: string | readonly string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: readonly unknown[];
  minLength?: number;
  minimum?: number;
  format?: string;
}

export interface RouteShape {
  method: string;
  url: string;
  body: JsonSchema | undefined;
  querystring: JsonSchema | undefined;
  /** `/ops/...`: the staff realm, on the operator host. */
  operator: boolean;
}

export const routeName = (shape: RouteShape): string => `${shape.method} ${shape.url}`;

const asSchema = (value: unknown): JsonSchema | undefined => (typeof value === 'object' && value !== null ? value : undefined);

/** Every method of a registered route but the HEAD and OPTIONS Fastify answers itself. */
export function shapesOf(route: RouteOptions): RouteShape[] {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  return [route.method]
    .flat()
    .filter((method) => method !== 'HEAD' && method !== 'OPTIONS')
    .map((method) => ({
      method,
      url: route.url,
      body: asSchema(schema.body),
      querystring: asSchema(schema.querystring),
      operator: /^\/ops(\/|$)/.test(route.url),
    }));
}

/** Writes last, deletions at the very end, so the records a sweep addresses live as long as possible. */
export const inSweepOrder = (routes: readonly RouteShape[]): RouteShape[] => {
  const rank = (shape: RouteShape): number => (shape.method === 'DELETE' ? 2 : shape.method === 'GET' ? 0 : 1);
  return [...routes].sort((a, b) => rank(a) - rank(b));
};

const typeOf = (schema: JsonSchema): string => [schema.type ?? 'string'].flat()[0] ?? 'string';

/** A value the schema accepts, as plain as possible: the baseline each attack changes one field of. */
export function plainValue(schema: JsonSchema | undefined): unknown {
  if (schema === undefined) return {};
  if (schema.enum !== undefined && schema.enum.length > 0) return schema.enum[0];
  switch (typeOf(schema)) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, plainValue(value)]));
    case 'array':
      return [plainValue(schema.items)];
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return schema.format === 'email' ? 'someone@example.test' : 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}

export type FieldPath = Array<string | number>;
export interface Leaf {
  path: FieldPath;
  kind: 'string' | 'number';
}

/** Every string and number field of a schema (array items as index 0); objects, for arrays-instead-of-objects. */
export function leavesOf(schema: JsonSchema | undefined, path: FieldPath = []): Leaf[] {
  if (schema === undefined) return [];
  const type = typeOf(schema);
  if (type === 'object') return Object.entries(schema.properties ?? {}).flatMap(([key, value]) => leavesOf(value, [...path, key]));
  if (type === 'array') return leavesOf(schema.items, [...path, 0]);
  if (type === 'integer' || type === 'number') return [{ path, kind: 'number' }];
  if (type === 'string') return [{ path, kind: 'string' }];
  return [];
}

/** The paths of the objects nested in a schema (not the root), where an array makes a type confusion. */
export function objectsOf(schema: JsonSchema | undefined, path: FieldPath = []): FieldPath[] {
  if (schema === undefined || typeOf(schema) !== 'object') return [];
  return Object.entries(schema.properties ?? {}).flatMap(([key, value]) => {
    const nested = [...path, key];
    return typeOf(value) === 'object' ? [nested, ...objectsOf(value, nested)] : [];
  });
}

/** A copy of `base` with the value at `path` replaced. */
export function withValue(base: unknown, path: FieldPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(base)) {
    const copy = [...(base as unknown[])];
    copy[Number(head)] = withValue(copy[Number(head)], rest, value);
    return copy;
  }
  const object = typeof base === 'object' && base !== null ? (base as Record<string, unknown>) : {};
  return { ...object, [String(head)]: withValue(object[String(head)], rest, value) };
}

const PLACEHOLDER = 'HOSTILE-PLACEHOLDER-9F2C';

/** The JSON of `base` with the hostile value's exact bytes at `path`. */
export function jsonWith(base: unknown, path: FieldPath, value: HostileValue): Buffer {
  const [before, after] = JSON.stringify(withValue(base, path, PLACEHOLDER)).split(`"${PLACEHOLDER}"`);
  return Buffer.concat([Buffer.from(before ?? ''), value.json, Buffer.from(after ?? '')]);
}

/** The names of a route's path parameters (`*` for a wildcard), each with the segment before it. */
export function pathParams(url: string): Array<{ name: string; after: string }> {
  const parts = url.split('/');
  return parts.flatMap((part, index) => {
    const after = parts[index - 1] ?? '';
    if (part === '*') return [{ name: '*', after }];
    return part.startsWith(':') ? [{ name: part.slice(1), after }] : [];
  });
}

/** The URL with each parameter filled in by `fill` (already encoded for a path segment). */
export function fillPath(url: string, fill: (name: string, after: string) => string): string {
  const parts = url.split('/');
  return parts
    .map((part, index) => {
      const after = parts[index - 1] ?? '';
      if (part === '*') return fill('*', after);
      return part.startsWith(':') ? fill(part.slice(1), after) : part;
    })
    .join('/');
}

/** Query parameters every route is tried with, besides those its schema declares: the pagination a client guesses. */
const GUESSED_QUERY = ['page[size]', 'sort'];

export const queryNamesOf = (shape: RouteShape): string[] => [
  ...new Set([...leavesOf(shape.querystring).map((leaf) => String(leaf.path[0])), ...GUESSED_QUERY]),
];
