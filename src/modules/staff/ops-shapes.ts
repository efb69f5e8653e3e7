import { errorResponses, idString } from '../../platform/http/route-shapes.js';

/** Shared shapes of the `/ops/v1` routes. */
export const opsTags = ['operators'];

/** Service views (incidents, scopes, campaigns) are returned whole; their types live beside the services. */
export const openObject = { type: 'object', additionalProperties: true } as const;

export const okResponses = { 200: openObject, 409: errorResponses[422], ...errorResponses } as const;
export const createdResponses = { 201: openObject, 409: errorResponses[422], ...errorResponses } as const;

export const timestampString = { type: 'string', minLength: 1, maxLength: 64 } as const;
/** A small positive integer in a query string (scope versions), as digits. */
export const smallNumberString = { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } as const;

export const incidentChildParams = (child: string) =>
  ({ type: 'object', required: ['id', child], properties: { id: idString, [child]: idString } }) as const;
