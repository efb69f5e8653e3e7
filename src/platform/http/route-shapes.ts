import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Where this request's links point: the account's configured origin (by
     * the name the request used, set by the tenancy hook), else the
     * `RIPOSTE_PUBLIC_URL` origin. Never read from `Host` or `X-Forwarded-*`.
     */
    publicOrigin: string;
  }
}

/** Zendesk's error body, declared on every error status so the serializer keeps its fields. */
export const errorShape = {
  type: 'object',
  properties: { error: { type: 'string' }, description: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
} as const;

export const errorResponses = { 400: errorShape, 401: errorShape, 403: errorShape, 404: errorShape, 422: errorShape } as const;

/** The origin of the absolute links in an answer (pagination): from configuration, never from the request's headers. */
export const baseUrlOf = (request: FastifyRequest): string => request.publicOrigin;

/**
 * A record id in a path: a digit string rather than an integer, because
 * Ajv's type coercion turns "1e400" into Infinity and lets it through.
 */
export const idString = { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } as const;
export const idParamsSchema = { type: 'object', required: ['id'], properties: { id: idString } } as const;
export interface IdParams {
  id: string;
}

/** What an unknown endpoint answers (also the operator routes on any other host than the operator's). */
export const endpointNotFound = (request: FastifyRequest): AppError =>
  new AppError('InvalidEndpoint', `Not found: ${request.method} ${request.originalUrl.split('?')[0] ?? ''}. See /docs for the endpoints.`);
