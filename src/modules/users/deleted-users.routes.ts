import type { FastifyInstance } from 'fastify';
import { paginationQuerySchema, pageBody, readPageRequest, type PaginationQuery } from '../../platform/http/pagination.js';
import { baseUrlOf, errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import { deletedUserViewSchema, presentDeletedUser } from './deleted-users.schema.js';
import { listDeletedUsers, showDeletedUser, softDeleteUser } from './deleted-users.service.js';

const userBody = { type: 'object', properties: { user: deletedUserViewSchema } } as const;
const deletedUserBody = { type: 'object', properties: { deleted_user: deletedUserViewSchema } } as const;

/** Zendesk's user deletion: soft delete and the deleted users (permanent deletion is the erasure module's). Admins only. */
export function deletedUserRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.delete<{ Params: IdParams }>(
      '/api/v2/users/:id',
      {
        schema: {
          tags: ['users'],
          summary: 'Delete a user: suspended, sessions and OAuth tokens revoked; listed in the deleted users until permanently deleted',
          params: idParamsSchema,
          response: { 200: userBody, ...errorResponses },
        },
      },
      async (request) => {
        const row = await softDeleteUser(deps, requirePrincipal(request), Number(request.params.id));
        return { user: presentDeletedUser(row, baseUrlOf(request)) };
      },
    );

    app.get<{ Querystring: PaginationQuery }>(
      '/api/v2/deleted_users',
      {
        schema: {
          tags: ['users'],
          summary: 'The account’s deleted users not yet permanently deleted',
          querystring: { type: 'object', properties: paginationQuerySchema },
          response: {
            200: {
              type: 'object',
              additionalProperties: true,
              properties: { deleted_users: { type: 'array', items: deletedUserViewSchema } },
            },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const { rows, count } = await listDeletedUsers(deps, requirePrincipal(request), page);
        const baseUrl = baseUrlOf(request);
        const views = rows.map((row) => presentDeletedUser(row, baseUrl));
        return pageBody('deleted_users', views, page, `${baseUrl}/api/v2/deleted_users.json`, count);
      },
    );

    app.get<{ Params: IdParams }>(
      '/api/v2/deleted_users/:id',
      {
        schema: {
          tags: ['users'],
          summary: 'Show a deleted user',
          params: idParamsSchema,
          response: { 200: deletedUserBody, ...errorResponses },
        },
      },
      async (request) => {
        const row = await showDeletedUser(deps, requirePrincipal(request), Number(request.params.id));
        return { deleted_user: presentDeletedUser(row, baseUrlOf(request)) };
      },
    );

    done();
  };
}
