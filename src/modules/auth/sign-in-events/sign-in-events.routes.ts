import type { FastifyInstance } from 'fastify';
import { baseUrlOf, errorResponses } from '../../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requirePrincipal, requireRole } from '../../accounts/principal.js';
import { signInEventsPageWireSchema, signInEventsQuerySchema, type SignInEventsQuery } from './sign-in-events.schema.js';
import { signInEventsPage } from './sign-in-events.service.js';

/** An account's sign-in events, for its admins: every authentication attempt on the account, on every channel. */
export function signInEventRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: SignInEventsQuery }>(
      '/api/v2/security/sign_in_events',
      {
        schema: {
          tags: ['security'],
          summary: 'The account’s sign-in events, newest first (filters: user_id, channel, outcome, since, until; cursor pages); admins',
          querystring: signInEventsQuerySchema,
          response: { 200: signInEventsPageWireSchema, ...errorResponses },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        return signInEventsPage(deps, principal.account.id, request.query, `${baseUrlOf(request)}/api/v2/security/sign_in_events.json`);
      },
    );
    done();
  };
}
