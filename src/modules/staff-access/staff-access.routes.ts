import type { FastifyInstance } from 'fastify';
import { errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import { auditLogQuerySchema, staffAccessEventPageSchema, type AuditLogQuery } from './audit-logs.schema.js';
import { auditLogCsvHandler, auditLogPageHandler } from './audit-logs.routes.js';
import { createGrant, listAccountGrants, revokeGrant } from './grants.service.js';
import { createGrantBodySchema, grantViewSchema, type CreateGrantBody } from './staff-access.schema.js';
import { STAFF_WORK_ACTIONS } from './staff-work.js';

const tags = ['staff access'];
const grantBody = { type: 'object', properties: { grant: grantViewSchema } } as const;

/**
 * The customer's side of staff access: admins grant the vendor's staff access
 * for a while, list and revoke grants, and read (or export as CSV) every
 * staff read and write on their account.
 */
export function staffAccessRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Body: CreateGrantBody }>(
      '/api/v2/staff_access/grants',
      {
        schema: {
          tags,
          summary: 'Grant the vendor’s staff access for a day, week, month, year or until revoked (admins; not on trial accounts)',
          body: createGrantBodySchema,
          response: { 201: grantBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const grant = await createGrant(deps, requirePrincipal(request), request.body.grant.duration);
        return reply.status(201).send({ grant });
      },
    );

    app.get(
      '/api/v2/staff_access/grants',
      {
        schema: {
          tags,
          summary: 'Every staff access grant of the account, newest first, with its status (admins)',
          response: { 200: { type: 'object', properties: { grants: { type: 'array', items: grantViewSchema } } }, ...errorResponses },
        },
      },
      async (request) => ({ grants: await listAccountGrants(deps, requirePrincipal(request)) }),
    );

    app.delete<{ Params: IdParams }>(
      '/api/v2/staff_access/grants/:id',
      {
        schema: {
          tags,
          summary: 'Revoke a grant: staff lose access at once (admins)',
          params: idParamsSchema,
          response: { 200: grantBody, ...errorResponses },
        },
      },
      async (request) => ({ grant: await revokeGrant(deps, requirePrincipal(request), Number(request.params.id)) }),
    );

    app.get<{ Querystring: AuditLogQuery }>(
      '/api/v2/staff_access/events',
      {
        schema: {
          tags,
          summary: 'Every staff read and write on the account, newest first (audit log filters and cursor pages; admins)',
          querystring: auditLogQuerySchema,
          response: {
            200: staffAccessEventPageSchema,
            ...errorResponses,
          },
        },
      },
      auditLogPageHandler(deps, { path: '/api/v2/staff_access/events.json', key: 'staff_access_events', actions: STAFF_WORK_ACTIONS }),
    );

    app.get<{ Querystring: AuditLogQuery }>(
      '/api/v2/staff_access/events.csv',
      {
        schema: {
          tags,
          summary: 'Every staff read and write on the account as CSV, oldest first (admins)',
          querystring: auditLogQuerySchema,
          response: errorResponses,
        },
      },
      auditLogCsvHandler(deps, { fileName: 'staff-access', actions: STAFF_WORK_ACTIONS }),
    );
    done();
  };
}
