import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import { appViewSchema, createAppBodySchema, presentApp, type CreateAppBody } from './apps.schema.js';
import { createPrivateApp, listApps } from './apps.service.js';
import { installationRoutes } from './installations.routes.js';

const errors = errorResponses;

/**
 * The apps module's endpoints: the apps an account can install (the
 * marketplace catalog and its private apps), private app creation, and the
 * installations (`installations.routes.ts`). Register this one plugin.
 *
 * @example
 * await app.register(appsRoutes(deps));
 */
export function appsRoutes(deps: ServiceDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/api/v2/apps',
      {
        schema: {
          tags: ['apps'],
          summary: 'List the apps this account can install: the marketplace and its private apps',
          response: { 200: { type: 'object', properties: { apps: { type: 'array', items: appViewSchema } } }, ...errors },
        },
      },
      async (request) => ({ apps: (await listApps(deps, requirePrincipal(request))).map(presentApp) }),
    );

    app.post<{ Body: CreateAppBody }>(
      '/api/v2/apps',
      {
        config: { rateLimit: { max: 60, timeWindow: '1 minute' } },
        schema: {
          tags: ['apps'],
          summary: 'Create a private app: its name, product and settings fields (mark credentials secure)',
          body: createAppBodySchema,
          response: { 201: { type: 'object', properties: { app: appViewSchema } }, ...errors },
        },
      },
      async (request, reply) => {
        const created = await createPrivateApp(deps, requirePrincipal(request), request.body);
        return reply.status(201).send({ app: presentApp(created) });
      },
    );

    await app.register(installationRoutes(deps));
  };
}
