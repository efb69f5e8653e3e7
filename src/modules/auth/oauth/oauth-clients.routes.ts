import { idParamsSchema } from '../../../platform/http/route-shapes.js';
import type { FastifyInstance } from 'fastify';
import { pageBody, paginationQuerySchema, readPageRequest, type PaginationQuery } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requirePrincipal } from '../../accounts/principal.js';
import { changeClient, createClient, deleteClient, listClients, regenerateClientSecret, showClient } from './oauth-clients.service.js';
import {
  clientViewSchema,
  createClientBodySchema,
  presentClient,
  updateClientBodySchema,
  type ClientChanges,
  type ClientInput,
} from './oauth.schema.js';
import { baseUrlOf, errorResponses } from '../../../platform/http/route-shapes.js';

const clientBody = { type: 'object', properties: { client: clientViewSchema } } as const;
const tags = ['oauth'];

/** Zendesk's OAuth client endpoints (admins). The `.json` suffix is stripped by the app before routing. */
export function oauthClientRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: PaginationQuery }>(
      '/api/v2/oauth/clients',
      {
        schema: {
          tags,
          summary: 'List the account’s OAuth clients (never their secrets)',
          querystring: { type: 'object', properties: paginationQuerySchema },
          response: {
            200: { type: 'object', additionalProperties: true, properties: { clients: { type: 'array', items: clientViewSchema } } },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const { rows, count } = await listClients(deps, requirePrincipal(request), page);
        const baseUrl = baseUrlOf(request);
        return pageBody(
          'clients',
          rows.map((row) => presentClient(row, baseUrl)),
          page,
          `${baseUrl}/api/v2/oauth/clients.json`,
          count,
        );
      },
    );

    app.post<{ Body: { client: ClientInput } }>(
      '/api/v2/oauth/clients',
      {
        schema: {
          tags,
          summary: 'Register an OAuth client; a confidential client’s secret is in this answer only',
          body: createClientBodySchema,
          response: { 201: clientBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { client, secret } = await createClient(deps, requirePrincipal(request), request.body.client);
        void reply.header('cache-control', 'no-store');
        return reply.status(201).send({ client: presentClient(client, baseUrlOf(request), secret) });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v2/oauth/clients/:id',
      { schema: { tags, summary: 'Show an OAuth client', params: idParamsSchema, response: { 200: clientBody, ...errorResponses } } },
      async (request) => ({
        client: presentClient(await showClient(deps, requirePrincipal(request), Number(request.params.id)), baseUrlOf(request)),
      }),
    );

    app.put<{ Params: { id: string }; Body: { client: ClientChanges } }>(
      '/api/v2/oauth/clients/:id',
      {
        schema: {
          tags,
          summary: 'Update an OAuth client’s name, identifier or redirect URIs',
          params: idParamsSchema,
          body: updateClientBodySchema,
          response: { 200: clientBody, ...errorResponses },
        },
      },
      async (request) => {
        const client = await changeClient(deps, requirePrincipal(request), Number(request.params.id), request.body.client);
        return { client: presentClient(client, baseUrlOf(request)) };
      },
    );

    app.put<{ Params: { id: string } }>(
      '/api/v2/oauth/clients/:id/generate_secret',
      {
        schema: {
          tags,
          summary: 'Replace a confidential client’s secret; the new one is in this answer only',
          params: idParamsSchema,
          response: { 200: clientBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { client, secret } = await regenerateClientSecret(deps, requirePrincipal(request), Number(request.params.id));
        void reply.header('cache-control', 'no-store');
        return { client: presentClient(client, baseUrlOf(request), secret) };
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/api/v2/oauth/clients/:id',
      {
        schema: {
          tags,
          summary: 'Delete an OAuth client, revoking its tokens',
          params: idParamsSchema,
          response: { 204: { type: 'null' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        await deleteClient(deps, requirePrincipal(request), Number(request.params.id));
        return reply.status(204).send();
      },
    );
    done();
  };
}
