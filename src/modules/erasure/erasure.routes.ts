import type { FastifyInstance } from 'fastify';
import { baseUrlOf, errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import { deletedUserViewSchema, presentDeletedUser } from '../users/deleted-users.schema.js';
import { eraseDeletedUserAsAdmin } from './user-erasure.service.js';

const deletedUserBody = { type: 'object', properties: { deleted_user: deletedUserViewSchema } } as const;

/** Zendesk's permanent deletion of a deleted user: their personal data is erased everywhere. Admins only. */
export function erasureRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.delete<{ Params: IdParams }>(
      '/api/v2/deleted_users/:id',
      {
        schema: {
          tags: ['users'],
          summary: 'Permanently delete a deleted user: their personal data is erased everywhere, audit events included',
          params: idParamsSchema,
          response: { 200: deletedUserBody, ...errorResponses },
        },
      },
      async (request) => {
        const row = await eraseDeletedUserAsAdmin(deps, requirePrincipal(request), Number(request.params.id));
        return { deleted_user: presentDeletedUser(row, baseUrlOf(request)) };
      },
    );
    done();
  };
}
