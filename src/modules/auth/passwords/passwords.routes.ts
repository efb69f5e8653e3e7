import type { FastifyInstance } from 'fastify';
import { errorResponses, idParamsSchema, type IdParams } from '../../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requirePrincipal } from '../../accounts/principal.js';
import { changeOwnPassword, setPasswordAsAdmin } from './user-passwords.service.js';

const idParams = idParamsSchema;
const errors = errorResponses;

/** Zendesk's password endpoints: change your own, or (admins) set another user's. */
export function passwordRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
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

    done();
  };
}
