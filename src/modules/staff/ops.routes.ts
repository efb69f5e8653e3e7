import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { opsAccountRoutes } from './ops-accounts.routes.js';
import { opsCampaignRoutes } from './ops-campaigns.routes.js';
import { opsIncidentRoutes } from './ops-incidents.routes.js';
import { opsNotificationRoutes } from './ops-notifications.routes.js';
import { opsScopeRoutes } from './ops-scope.routes.js';
import { staffAuthenticationHook } from './staff-auth.js';
import { staffSessionRoutes } from './staff-session.routes.js';
import { opsConsoleRoutes } from '../web-console/ops-console.routes.js';
import { opsAdvisoryRoutes } from '../advisories/advisories-ops.routes.js';

/**
 * The operator API under `/ops/v1`, in its own encapsulated context: the
 * staff hook guards every route in it and nothing outside it. `app.ts`
 * registers it beside the customers' context, whose tenancy and
 * authentication hooks (Host → account, customer credentials) never run here.
 */
export function opsRoutes(deps: ServiceDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.decorateRequest('staff', null);
    app.addHook('onRequest', staffAuthenticationHook(deps));
    await app.register(staffSessionRoutes(deps));
    await app.register(opsIncidentRoutes(deps));
    await app.register(opsScopeRoutes(deps));
    await app.register(opsCampaignRoutes(deps));
    await app.register(opsNotificationRoutes(deps));
    await app.register(opsAccountRoutes(deps));
    await app.register(opsConsoleRoutes(deps));
    await app.register(opsAdvisoryRoutes(deps));
  };
}
