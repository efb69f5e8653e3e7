import type { FastifyInstance } from 'fastify';
import { pageBody, paginationQuerySchema, readPageRequest, type PaginationQuery } from '../../platform/http/pagination.js';
import { baseUrlOf, errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import {
  createInstallationBodySchema,
  installationViewSchema,
  presentInstallation,
  readAppId,
  updateInstallationBodySchema,
  type CreateInstallationBody,
  type UpdateInstallationBody,
} from './installations.schema.js';
import {
  createInstallation,
  deleteInstallation,
  listInstallations,
  showInstallation,
  updateInstallation,
} from './installations.service.js';

const errors = errorResponses;
const installationBody = { type: 'object', properties: { installation: installationViewSchema } } as const;
/** Writes carry secrets: a client retrying in a loop is slowed down, a person is not. */
const throttled = { rateLimit: { max: 300, timeWindow: '1 minute' } };

/**
 * Zendesk's app installation endpoints: agents read, admins write. Secure
 * settings go in with `settings` and never come out (masked); no answer,
 * log line or error carries their values.
 */
export function installationRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: PaginationQuery }>(
      '/api/v2/apps/installations',
      {
        schema: {
          tags: ['apps'],
          summary: 'List the account’s app installations (secure settings masked)',
          querystring: { type: 'object', properties: paginationQuerySchema },
          response: {
            200: {
              type: 'object',
              additionalProperties: true,
              properties: { installations: { type: 'array', items: installationViewSchema } },
            },
            ...errors,
          },
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const { details, count } = await listInstallations(deps, requirePrincipal(request), page);
        const views = details.map(presentInstallation);
        return pageBody('installations', views, page, `${baseUrlOf(request)}/api/v2/apps/installations.json`, count);
      },
    );

    app.post<{ Body: CreateInstallationBody }>(
      '/api/v2/apps/installations',
      {
        config: throttled,
        schema: {
          tags: ['apps'],
          summary: 'Install an app; secure settings are encrypted and never shown again',
          body: createInstallationBodySchema,
          response: { 201: installationBody, ...errors },
        },
      },
      async (request, reply) => {
        const { app_id: appId, settings = {}, enabled = true } = request.body;
        const detail = await createInstallation(deps, requirePrincipal(request), { appId: readAppId(appId), settings, enabled });
        void reply.header('cache-control', 'no-store');
        return reply.status(201).send({ installation: presentInstallation(detail) });
      },
    );

    app.get<{ Params: IdParams }>(
      '/api/v2/apps/installations/:id',
      {
        schema: {
          tags: ['apps'],
          summary: 'Show an app installation (secure settings masked)',
          params: idParamsSchema,
          response: { 200: installationBody, ...errors },
        },
      },
      async (request) => {
        const detail = await showInstallation(deps, requirePrincipal(request), Number(request.params.id));
        return { installation: presentInstallation(detail) };
      },
    );

    app.put<{ Params: IdParams; Body: UpdateInstallationBody }>(
      '/api/v2/apps/installations/:id',
      {
        config: throttled,
        schema: {
          tags: ['apps'],
          summary: 'Update an installation; a new value for a secure setting rotates it',
          params: idParamsSchema,
          body: updateInstallationBodySchema,
          response: { 200: installationBody, ...errors },
        },
      },
      async (request) => {
        const detail = await updateInstallation(deps, requirePrincipal(request), Number(request.params.id), {
          settings: request.body.settings,
          enabled: request.body.enabled,
        });
        return { installation: presentInstallation(detail) };
      },
    );

    app.delete<{ Params: IdParams }>(
      '/api/v2/apps/installations/:id',
      {
        config: throttled,
        schema: {
          tags: ['apps'],
          summary: 'Remove an app installation and its secure settings',
          params: idParamsSchema,
          response: { 204: { type: 'null' }, ...errors },
        },
      },
      async (request, reply) => {
        await deleteInstallation(deps, requirePrincipal(request), Number(request.params.id));
        return reply.status(204).send();
      },
    );
    done();
  };
}
