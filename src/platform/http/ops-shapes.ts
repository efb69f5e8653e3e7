import { errorResponses, idString } from './route-shapes.js';

/** Shared shapes of the `/ops/v1` routes. */
export const opsTags = ['operators'];

/** An operator route's answers: `schema` on success (200, or 201/202 with `status`), and the errors. */
export const opsResponses = <const S extends object, const C extends 200 | 201 | 202 = 200>(schema: S, status?: C) =>
  ({ [status ?? 200]: schema, 409: errorResponses[422], ...errorResponses }) as { [K in C]: S } & {
    409: (typeof errorResponses)[422];
  } & typeof errorResponses;

export const timestampString = { type: 'string', minLength: 1, maxLength: 64 } as const;
/** A small positive integer in a query string (scope versions), as digits. */
export const smallNumberString = { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } as const;

export const incidentChildParams = (child: string) =>
  ({ type: 'object', required: ['id', child], properties: { id: idString, [child]: idString } }) as const;
