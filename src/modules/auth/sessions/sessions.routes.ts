import type { FastifyInstance } from 'fastify';
import { baseUrlOf, errorResponses, idParamsSchema, type IdParams } from '../../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requirePrincipal } from '../../accounts/principal.js';
import { presentUser, userViewSchema, type UserView } from '../../users/users.schema.js';
import { csrfTokenFor } from './session-cookie.js';
import { listSessions, revokeUserSessions } from './sessions.service.js';

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

/** The signed-in user (with the session's CSRF token), and that user's web sessions. */
export function sessionRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/api/v2/users/me',
      { schema: { tags: ['users'], summary: 'The signed-in user', response: { 200: userBody, ...errors } } },
      (request) => {
        const principal = requirePrincipal(request);
        // Added to the view rather than spread into a copy: every API client calls this route.
        const user: UserView & { authenticity_token?: string } = presentUser(principal.user, baseUrlOf(request));
        if (request.sessionToken !== null) user.authenticity_token = csrfTokenFor(request.sessionToken);
        return { user };
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
