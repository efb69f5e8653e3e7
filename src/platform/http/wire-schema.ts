/**
 * The type a JSON schema describes, so that an answer's schema and its type
 * are written once: the schema serialises and documents the answer, the type
 * checks the presenter that builds it and the web console that reads it.
 *
 * Covers what the wire schemas use: `type` (one or a list), `properties` with
 * `required`, `additionalProperties` as a schema (a map), `items`, `enum`,
 * `const`, `anyOf`/`oneOf`, and `wireType<T>()` for what a schema cannot say
 * in types (a recursive `$ref`).
 *
 * @example
 * const task = { type: 'object', required: ['id'], additionalProperties: false,
 *   properties: { id: { type: 'integer' }, owner: { type: ['string', 'null'] } } } as const;
 * type Task = FromSchema<typeof task>; // { id: number; owner?: string | null }
 */
export type FromSchema<S> = S extends { readonly [wireTypeKey]?: infer T }
  ? T
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly const: infer C }
      ? C
      : S extends { readonly anyOf: readonly (infer A)[] }
        ? FromSchema<A>
        : S extends { readonly oneOf: readonly (infer A)[] }
          ? FromSchema<A>
          : S extends { readonly type: readonly (infer T)[] }
            ? FromTyped<S, T>
            : S extends { readonly type: infer T }
              ? FromTyped<S, T>
              : unknown;

type FromTyped<S, T> = T extends 'object'
  ? FromObject<S>
  : T extends 'array'
    ? S extends { readonly items: infer I }
      ? FromSchema<I>[]
      : unknown[]
    : T extends 'string'
      ? string
      : T extends 'integer' | 'number'
        ? number
        : T extends 'boolean'
          ? boolean
          : T extends 'null'
            ? null
            : never;

type RequiredKeys<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;

type FromObject<S> = S extends { readonly properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredKeys<S> ? K : never]: FromSchema<P[K]> } & {
        -readonly [K in keyof P as K extends RequiredKeys<S> ? never : K]?: FromSchema<P[K]>;
      }
    >
  : S extends { readonly additionalProperties: infer A }
    ? A extends object
      ? Record<string, FromSchema<A>>
      : Record<string, unknown>
    : Record<string, unknown>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

declare const wireTypeKey: unique symbol;

/**
 * Gives a schema the type it stands for where `FromSchema` cannot read it
 * (a `$ref`, a recursive grammar). Adds nothing to the schema at run time.
 *
 * @example
 * const selector = wireType<Selector>()({ $ref: 'riposte-selector#' });
 */
export const wireType =
  <T>() =>
  <const S extends object>(schema: S): S & { readonly [wireTypeKey]?: T } =>
    schema;

/**
 * A closed object schema: every property listed is required unless named in
 * `optional`, and no other property is sent.
 *
 * @example
 * const point = closedObject({ at: { type: 'string' }, done: { type: 'integer' } });
 */
export function closedObject<const P extends Record<string, object>, const O extends keyof P = never>(
  properties: P,
  optional: readonly O[] = [],
): { type: 'object'; additionalProperties: false; required: Exclude<keyof P, O>[]; properties: P } {
  const required = Object.keys(properties).filter((key) => !(optional as readonly string[]).includes(key)) as Exclude<keyof P, O>[];
  return { type: 'object', additionalProperties: false, required, properties };
}

/** The scalar shapes answers are made of. */
export const wire = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  nullableString: { type: ['string', 'null'] },
  nullableInteger: { type: ['integer', 'null'] },
  nullableNumber: { type: ['number', 'null'] },
  strings: { type: 'array', items: { type: 'string' } },
  integers: { type: 'array', items: { type: 'integer' } },
  /** A map of counts by name (per role, per realm). */
  counts: { type: 'object', additionalProperties: { type: 'integer' } },
} as const;

/** `nullable(schema)`: the same shape, or null. */
export const nullable = <const S extends { type: string }>(schema: S): Omit<S, 'type'> & { type: [S['type'], 'null'] } => ({
  ...schema,
  type: [schema.type, 'null'],
});
