import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrlOf, errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal, requireRole } from '../accounts/principal.js';
import { sendCsv } from '../staff-access/csv-reply.js';
import {
  affectedUserCountsWireSchema,
  affectedUsersCsvQuerySchema,
  affectedUsersPageWireSchema,
  affectedUsersQuerySchema,
  presentAffectedUserCounts,
  presentAffectedUsersPage,
  presentRotationTargetsPage,
  rotationTargetsCsvQuerySchema,
  rotationTargetsPageWireSchema,
  rotationTargetsQuerySchema,
  type AffectedUsersQuery,
  type RotationTargetsQuery,
} from './affected-users.schema.js';
import {
  affectedUserCounts,
  affectedUsersCsv,
  affectedUsersPage,
  readCategoryFilter,
  readStateFilter,
  rotationTargetsCsv,
  rotationTargetsPage,
  type AccountIncident,
} from './affected-users.service.js';

const tags = ['security'];
const INCIDENTS = '/api/v2/security/incidents';

/** The incident asked about, for the signed-in admin's own account: never another account's. */
function adminsIncident(request: FastifyRequest<{ Params: IdParams }>): AccountIncident & { subdomain: string } {
  const principal = requirePrincipal(request);
  requireRole(principal, 'admin');
  return { incidentId: Number(request.params.id), accountId: principal.account.id, subdomain: principal.account.subdomain };
}

/**
 * Who exactly is affected, for the account's admins: per incident that
 * affects the account, its users in scope with their categories, the users
 * its rotation campaigns are about with their state, as cursor pages (JSON)
 * or a streamed CSV of every row, and the counts per product and per state.
 * An incident that does not affect the account is a 404.
 */
export function affectedUsersRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Params: IdParams; Querystring: AffectedUsersQuery }>(
      `${INCIDENTS}/:id/affected_users`,
      {
        schema: {
          tags,
          summary: 'The account’s users in the incident’s scope, each with its categories (filter: category; cursor pages)',
          params: idParamsSchema,
          querystring: affectedUsersQuerySchema,
          response: { 200: affectedUsersPageWireSchema, ...errorResponses },
        },
      },
      async (request) => {
        const incident = adminsIncident(request);
        const url = `${baseUrlOf(request)}${INCIDENTS}/${incident.incidentId}/affected_users.json`;
        return presentAffectedUsersPage(await affectedUsersPage(deps, incident, request.query, url));
      },
    );

    app.get<{ Params: IdParams; Querystring: AffectedUsersQuery }>(
      `${INCIDENTS}/:id/affected_users.csv`,
      {
        schema: {
          tags,
          summary: 'Every user of the account in the incident’s scope as CSV (filter: category), streamed',
          params: idParamsSchema,
          querystring: affectedUsersCsvQuerySchema,
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const incident = adminsIncident(request);
        const lines = await affectedUsersCsv(deps, incident, readCategoryFilter(request.query.category));
        return sendCsv(reply, `affected-users-incident-${incident.incidentId}-${incident.subdomain}.csv`, lines);
      },
    );

    app.get<{ Params: IdParams }>(
      `${INCIDENTS}/:id/affected_users/counts`,
      {
        schema: {
          tags,
          summary: 'The account’s users in scope per product (overall and per category) and its rotation targets per state',
          params: idParamsSchema,
          response: { 200: affectedUserCountsWireSchema, ...errorResponses },
        },
      },
      async (request) => presentAffectedUserCounts(await affectedUserCounts(deps, adminsIncident(request))),
    );

    app.get<{ Params: IdParams; Querystring: RotationTargetsQuery }>(
      `${INCIDENTS}/:id/rotation_targets`,
      {
        schema: {
          tags,
          summary: 'The account’s users the incident’s rotation campaigns are about, with their state (filter: state; cursor pages)',
          params: idParamsSchema,
          querystring: rotationTargetsQuerySchema,
          response: { 200: rotationTargetsPageWireSchema, ...errorResponses },
        },
      },
      async (request) => {
        const incident = adminsIncident(request);
        const url = `${baseUrlOf(request)}${INCIDENTS}/${incident.incidentId}/rotation_targets.json`;
        return presentRotationTargetsPage(await rotationTargetsPage(deps, incident, request.query, url));
      },
    );

    app.get<{ Params: IdParams; Querystring: RotationTargetsQuery }>(
      `${INCIDENTS}/:id/rotation_targets.csv`,
      {
        schema: {
          tags,
          summary: 'Every rotation target of the account with its state as CSV (filter: state), streamed',
          params: idParamsSchema,
          querystring: rotationTargetsCsvQuerySchema,
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const incident = adminsIncident(request);
        const lines = await rotationTargetsCsv(deps, incident, readStateFilter(request.query.state));
        return sendCsv(reply, `rotation-targets-incident-${incident.incidentId}-${incident.subdomain}.csv`, lines);
      },
    );
    done();
  };
}
