import type { FastifySchema } from 'fastify';
import { ERROR_CATALOGUE, errorCodesWithStatus } from '../../error-catalogue.js';

/**
 * The OpenAPI document's description of each error status a route declares:
 * the catalogue's codes with that status, each with what to do about it.
 */
export function describeErrorResponses<S extends FastifySchema>({
  schema,
  url,
}: {
  schema: S;
  url: string;
}): { schema: FastifySchema; url: string } {
  const responses = (schema as { response?: Record<string, unknown> } | undefined)?.response;
  if (responses === undefined) return { schema, url };
  const described: Record<string, unknown> = {};
  for (const [status, shape] of Object.entries(responses)) {
    const codes = /^[45]\d\d$/.test(status) ? errorCodesWithStatus(Number(status)) : [];
    described[status] =
      codes.length === 0 || typeof shape !== 'object' || shape === null
        ? shape
        : { ...shape, description: codes.map((code) => `\`${code}\`: ${ERROR_CATALOGUE[code].action}`).join('\n\n') };
  }
  return { schema: { ...schema, response: described }, url };
}
