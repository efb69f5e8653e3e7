import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.js';
import { endpointNotFound } from '../../platform/http/route-shapes.js';
import { isOperatorHost } from '../accounts/tenancy.js';

const OPERATOR_PATH = /^\/ops(?:[/?.]|$)/;

/**
 * The operator console and API (everything under `/ops`) answer only on the
 * operator host. On an account's subdomain or mapped domain, whose TLS key the
 * customer may hold, they are an unknown endpoint, before any staff
 * credential is read.
 *
 * @example
 * installOperatorHostGuard(app, config); // at the root, before the routes
 */
export function installOperatorHostGuard(
  app: FastifyInstance,
  config: Pick<Config, 'baseDomain'> & Partial<Pick<Config, 'opsHost'>>,
): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(OPERATOR_PATH.test(request.url) && !isOperatorHost(request.headers.host, config) ? endpointNotFound(request) : undefined);
  });
}
