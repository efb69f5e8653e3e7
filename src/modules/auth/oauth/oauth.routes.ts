import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { authorizationRoutes } from './authorization.routes.js';
import { oauthClientRoutes } from './oauth-clients.routes.js';
import { oauthTokenRoutes } from './oauth-tokens.routes.js';
import { tokenEndpointRoutes } from './token-endpoint.routes.js';

/**
 * Every OAuth route: client and token management under `/api/v2/oauth`, and
 * the authorization-code grant under `/oauth`. Form bodies are parsed only in
 * the grant's scope.
 *
 * @example
 * await app.register(oauthRoutes(deps));
 */
export function oauthRoutes(deps: ServiceDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(oauthClientRoutes(deps));
    await app.register(oauthTokenRoutes(deps));
    await app.register(async (grant: FastifyInstance) => {
      await grant.register(formbody);
      await grant.register(authorizationRoutes(deps));
      await grant.register(tokenEndpointRoutes(deps));
    });
  };
}
