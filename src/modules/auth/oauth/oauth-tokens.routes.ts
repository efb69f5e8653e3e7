import type { FastifyInstance } from 'fastify';
import { pageBody, paginationQuerySchema, readPageRequest, type PaginationQuery } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requirePrincipal } from '../../accounts/principal.js';
import {
  createOauthToken,
  listOauthTokens,
  revokeCurrentOauthToken,
  revokeOauthToken,
  showCurrentOauthToken,
  showOauthToken,
} from './oauth-tokens.service.js';
import { createTokenBodySchema, presentToken, tokenViewSchema, type TokenInput } from './oauth.schema.js';
import { baseUrlOf, errorResponses, idParamsSchema, idString } from '../../../platform/http/route-shapes.js';

const tokenBody = { type: 'object', properties: { token: tokenViewSchema } } as const;
const tags = ['oauth'];

/** Zendesk's OAuth token endpoints. The `.json` suffix is stripped by the app before routing. */
export function oauthTokenRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: PaginationQuery & { client_id?: string } }>(
      '/api/v2/oauth/tokens',
      {
        schema: {
          tags,
          summary: 'List the account’s live OAuth tokens (admins; never the tokens themselves)',
          querystring: {
            type: 'object',
            properties: { ...paginationQuerySchema, client_id: idString },
          },
          response: {
            200: { type: 'object', additionalProperties: true, properties: { tokens: { type: 'array', items: tokenViewSchema } } },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const filter = request.query.client_id === undefined ? {} : { clientId: Number(request.query.client_id) };
        const { rows, count } = await listOauthTokens(deps, requirePrincipal(request), page, filter);
        const baseUrl = baseUrlOf(request);
        return pageBody(
          'tokens',
          rows.map((row) => presentToken(row, baseUrl)),
          page,
          `${baseUrl}/api/v2/oauth/tokens.json`,
          count,
        );
      },
    );

    app.post<{ Body: { token: TokenInput } }>(
      '/api/v2/oauth/tokens',
      {
        schema: {
          tags,
          summary: 'Create an OAuth token for a client and user (admins); token and refresh_token are in this answer only',
          body: createTokenBodySchema,
          response: { 201: tokenBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const issued = await createOauthToken(deps, requirePrincipal(request), request.body.token);
        void reply.header('cache-control', 'no-store');
        return reply
          .status(201)
          .send({ token: presentToken(issued.row, baseUrlOf(request), { token: issued.accessToken, refreshToken: issued.refreshToken }) });
      },
    );

    app.get(
      '/api/v2/oauth/tokens/current',
      { schema: { tags, summary: 'Show the OAuth token of this request', response: { 200: tokenBody, ...errorResponses } } },
      async (request) => ({ token: presentToken(await showCurrentOauthToken(deps, requirePrincipal(request)), baseUrlOf(request)) }),
    );

    app.delete(
      '/api/v2/oauth/tokens/current',
      {
        // Giving up one's own token needs no write scope: a read-only token may sign itself out.
        config: { revokesOwnCredential: true },
        schema: { tags, summary: 'Revoke the OAuth token of this request', response: { 204: { type: 'null' }, ...errorResponses } },
      },
      async (request, reply) => {
        await revokeCurrentOauthToken(deps, requirePrincipal(request));
        return reply.status(204).send();
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v2/oauth/tokens/:id',
      {
        schema: { tags, summary: 'Show an OAuth token (admins)', params: idParamsSchema, response: { 200: tokenBody, ...errorResponses } },
      },
      async (request) => ({
        token: presentToken(await showOauthToken(deps, requirePrincipal(request), Number(request.params.id)), baseUrlOf(request)),
      }),
    );

    app.delete<{ Params: { id: string } }>(
      '/api/v2/oauth/tokens/:id',
      {
        schema: {
          tags,
          summary: 'Revoke an OAuth token and its refresh token (admins)',
          params: idParamsSchema,
          response: { 204: { type: 'null' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        await revokeOauthToken(deps, requirePrincipal(request), Number(request.params.id));
        return reply.status(204).send();
      },
    );
    done();
  };
}
