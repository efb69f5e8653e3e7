import { baseUrlOf, errorResponses, idParamsSchema } from '../../../platform/http/route-shapes.js';
import type { FastifyInstance } from 'fastify';
import { pageBody, paginationQuerySchema, readPageRequest, type PaginationQuery } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requirePrincipal } from '../../accounts/principal.js';
import { apiTokenViewSchema, createApiTokenBodySchema, presentApiToken, type CreateApiTokenBody } from './api-tokens.schema.js';
import { createApiToken, deleteApiToken, listApiTokens, showApiToken } from './api-tokens.service.js';

const errors = errorResponses;
const tokenBody = { type: 'object', properties: { api_token: apiTokenViewSchema } } as const;

/**
 * Zendesk's API token endpoints (admins). The `.json` suffix is stripped by
 * the app before routing.
 */
export function apiTokenRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: PaginationQuery }>(
      '/api/v2/api_tokens',
      {
        schema: {
          tags: ['api tokens'],
          summary: 'List the account’s API tokens (never the tokens themselves)',
          querystring: { type: 'object', properties: paginationQuerySchema },
          response: {
            200: { type: 'object', additionalProperties: true, properties: { api_tokens: { type: 'array', items: apiTokenViewSchema } } },
            ...errors,
          },
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const { rows, count } = await listApiTokens(deps, requirePrincipal(request), page);
        const baseUrl = baseUrlOf(request);
        const views = rows.map((row) => presentApiToken(row, baseUrl));
        return pageBody('api_tokens', views, page, `${baseUrl}/api/v2/api_tokens.json`, count);
      },
    );

    app.post<{ Body: CreateApiTokenBody }>(
      '/api/v2/api_tokens',
      {
        schema: {
          tags: ['api tokens'],
          summary: 'Create an API token; the token is in this answer only',
          body: createApiTokenBodySchema,
          response: { 201: tokenBody, ...errors },
        },
      },
      async (request, reply) => {
        const { row, token } = await createApiToken(deps, requirePrincipal(request), { description: request.body.api_token.description });
        void reply.header('cache-control', 'no-store');
        return reply.status(201).send({ api_token: presentApiToken(row, baseUrlOf(request), token) });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v2/api_tokens/:id',
      {
        schema: {
          tags: ['api tokens'],
          summary: 'Show an API token',
          params: idParamsSchema,
          response: { 200: tokenBody, ...errors },
        },
      },
      async (request) => {
        const row = await showApiToken(deps, requirePrincipal(request), Number(request.params.id));
        return { api_token: presentApiToken(row, baseUrlOf(request)) };
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/api/v2/api_tokens/:id',
      {
        schema: {
          tags: ['api tokens'],
          summary: 'Delete an API token; it stops working at once',
          params: idParamsSchema,
          response: { 204: { type: 'null' }, ...errors },
        },
      },
      async (request, reply) => {
        await deleteApiToken(deps, requirePrincipal(request), Number(request.params.id));
        return reply.status(204).send();
      },
    );
    done();
  };
}
