import { baseUrlOf, errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { FastifyInstance } from 'fastify';
import { paginationQuerySchema, pageBody, readPageRequest, type PaginationQuery } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../auth/principal.js';
import { csrfTokenFor } from '../auth/sessions/session-cookie.js';
import { listSessions, revokeUserSessions } from '../auth/sessions/sessions.service.js';
import { createUserBodySchema, presentUser, updateUserBodySchema, userViewSchema, type UserInput } from './users.schema.js';
import { changeOwnPassword, changeUser, createUser, listUsers, setPasswordAsAdmin, showUser } from './users.service.js';

const idParams = idParamsSchema;
const errors = errorResponses;
const userBody = { type: 'object', properties: { user: userViewSchema } } as const;
const sessionView = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    created_at: { type: 'string' },
    last_seen_at: { type: 'string' },
    expires_at: { type: 'string' },
    ip: { type: ['string', 'null'] },
    user_agent: { type: ['string', 'null'] },
    current: { type: 'boolean' },
  },
} as const;

/** Zendesk's users endpoints, and a user's sessions. */
export function userRoutes(deps: ServiceDeps) {
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

    app.get(
      '/api/v2/users/me',
      { schema: { tags: ['users'], summary: 'The signed-in user', response: { 200: userBody, ...errors } } },
      (request) => {
        const principal = requirePrincipal(request);
        const user = {
          ...presentUser(principal.user, baseUrlOf(request)),
          ...(request.sessionToken === null ? {} : { authenticity_token: csrfTokenFor(request.sessionToken) }),
        };
        return { user };
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
        const user = await createUser(deps, requirePrincipal(request), request.body.user, request.ip);
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

    app.put<{ Params: IdParams; Body: { previous_password: string; password: string } }>(
      '/api/v2/users/:id/password',
      {
        schema: {
          tags: ['users'],
          summary: 'Change your own password (the current one is required)',
          params: idParams,
          body: {
            type: 'object',
            required: ['previous_password', 'password'],
            additionalProperties: false,
            properties: {
              previous_password: { type: 'string', minLength: 1, maxLength: 1024 },
              password: { type: 'string', minLength: 1, maxLength: 1024 },
            },
          },
          response: { 200: { type: 'object', properties: {} }, ...errors },
        },
      },
      async (request) => {
        await changeOwnPassword(deps, requirePrincipal(request), Number(request.params.id), {
          previousPassword: request.body.previous_password,
          password: request.body.password,
          clientIp: request.ip,
        });
        return {};
      },
    );

    app.post<{ Params: IdParams; Body: { password: string } }>(
      '/api/v2/users/:id/password',
      {
        schema: {
          tags: ['users'],
          summary: 'Set a user’s password (admins)',
          params: idParams,
          body: {
            type: 'object',
            required: ['password'],
            additionalProperties: false,
            properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } },
          },
          response: { 200: { type: 'object', properties: {} }, ...errors },
        },
      },
      async (request) => {
        await setPasswordAsAdmin(deps, requirePrincipal(request), Number(request.params.id), request.body.password, request.ip);
        return {};
      },
    );

    app.get(
      '/api/v2/users/me/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Your live web sessions',
          response: { 200: { type: 'object', properties: { sessions: { type: 'array', items: sessionView } } }, ...errors },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        const currentId = principal.via === 'session' ? principal.credentialId : null;
        return { sessions: await listSessions(deps, principal.account, principal.user, currentId) };
      },
    );

    app.delete<{ Params: IdParams }>(
      '/api/v2/users/me/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Revoke one of your sessions',
          params: idParams,
          response: { 204: { type: 'null' }, ...errors },
        },
      },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        await revokeUserSessions(deps, {
          account: principal.account,
          user: principal.user,
          sessionId: Number(request.params.id),
          actor: principal.user,
          reason: 'revoked_by_user',
        });
        return reply.status(204).send();
      },
    );

    app.delete(
      '/api/v2/users/me/sessions',
      { schema: { tags: ['sessions'], summary: 'Sign out everywhere', response: { 204: { type: 'null' }, ...errors } } },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        await revokeUserSessions(deps, {
          account: principal.account,
          user: principal.user,
          actor: principal.user,
          reason: 'revoked_by_user',
        });
        return reply.status(204).send();
      },
    );
    done();
  };
}
