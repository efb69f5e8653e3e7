import type { FastifyRequest } from 'fastify';

/** Zendesk's error body, declared on every error status so the serializer keeps its fields. */
export const errorShape = {
  type: 'object',
  properties: { error: { type: 'string' }, description: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
} as const;

export const errorResponses = { 400: errorShape, 401: errorShape, 403: errorShape, 404: errorShape, 422: errorShape } as const;

export const baseUrlOf = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

/**
 * A record id in a path: a digit string rather than an integer, because
 * Ajv's type coercion turns "1e400" into Infinity and lets it through.
 */
export const idString = { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } as const;
export const idParamsSchema = { type: 'object', required: ['id'], properties: { id: idString } } as const;
export interface IdParams {
  id: string;
}
