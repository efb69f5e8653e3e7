import { baseUrlOf, errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { FastifyInstance } from 'fastify';
import { paginationQuerySchema, pageBody, readPageRequest, type PaginationQuery } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import { createUserBodySchema, presentUser, updateUserBodySchema, userViewSchema, type UserInput } from './users.schema.js';
import { changeUser, createUser, listUsers, showUser, type FirstPasswords } from './users.service.js';

const idParams = idParamsSchema;
const errors = errorResponses;
const userBody = { type: 'object', properties: { user: userViewSchema } } as const;
/** Zendesk's users endpoints. */
export function userRoutes(deps: ServiceDeps, passwords: FirstPasswords) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: PaginationQuery & { role?: 'end-user' | 'agent' | 'admin' } }>(
      '/api/v2/users',
      {
        schema: {
          tags: ['users'],
          summary: 'List the account’s users (cursor or offset pagination)',
          querystring: {
            type: 'object',
            properties: { ...paginationQuerySchema, role: { type: 'string', enum: ['end-user', 'agent', 'admin'] } },
          },
          response: {
            200: { type: 'object', additionalProperties: true, properties: { users: { type: 'array', items: userViewSchema } } },
            ...errors,
          },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        const page = readPageRequest(request.query);
        const filter = request.query.role === undefined ? {} : { role: request.query.role };
        const { rows, count } = await listUsers(deps, principal, page, filter);
        const baseUrl = baseUrlOf(request);
        const views = rows.map((user) => presentUser(user, baseUrl));
        return pageBody('users', views, page, `${baseUrl}/api/v2/users.json`, count);
      },
    );

    app.get<{ Params: IdParams }>(
      '/api/v2/users/:id',
      { schema: { tags: ['users'], summary: 'Show a user', params: idParams, response: { 200: userBody, ...errors } } },
      async (request) => {
        const user = await showUser(deps, requirePrincipal(request), Number(request.params.id));
        return { user: presentUser(user, baseUrlOf(request)) };
      },
    );

    app.post<{ Body: { user: UserInput & { name: string; email: string } } }>(
      '/api/v2/users',
      { schema: { tags: ['users'], summary: 'Create a user', body: createUserBodySchema, response: { 201: userBody, ...errors } } },
      async (request, reply) => {
        const user = await createUser(deps, requirePrincipal(request), request.body.user, passwords, request.ip);
        return reply.status(201).send({ user: presentUser(user, baseUrlOf(request)) });
      },
    );

    app.put<{ Params: IdParams; Body: { user: UserInput } }>(
      '/api/v2/users/:id',
      {
        schema: {
          tags: ['users'],
          summary: 'Update a user',
          params: idParams,
          body: updateUserBodySchema,
          response: { 200: userBody, ...errors },
        },
      },
      async (request) => {
        const user = await changeUser(deps, requirePrincipal(request), Number(request.params.id), request.body.user);
        return { user: presentUser(user, baseUrlOf(request)) };
      },
    );

    done();
  };
}
