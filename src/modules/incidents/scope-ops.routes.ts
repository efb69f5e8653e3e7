import type { FastifyInstance } from 'fastify';
import { idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { addExposure, listExposures, removeExposure } from './exposures.service.js';
import { compareScopes, explainScope, getScope } from './scope.service.js';
import { recordStaffWorkOnAccount } from '../staff-access/staff-work.js';
import { incidentChildParams, opsResponses, opsTags as tags, smallNumberString } from '../../platform/http/ops-shapes.js';
import {
  exposureChangeWireSchema,
  exposureListAnswerSchema,
  presentExposure,
  presentExposureChange,
  presentScope,
  presentScopeComparison,
  presentScopeExplanation,
  scopeComparisonWireSchema,
  scopeExplanationWireSchema,
  scopeWireSchema,
} from './scope-ops.schema.js';
import { requireStaff } from '../staff/staff-auth.js';
import { staffActor } from '../staff/staff.service.js';

interface ExposureBody {
  category: string;
  selector?: unknown;
  account_ids?: number[];
}

interface ExposureParams {
  id: string;
  exposureId: string;
}

/** Exposures of an incident and the scope they produce: versions, differences and explanations. */
export function opsScopeRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Params: IdParams }>(
      '/ops/v1/incidents/:id/exposures',
      {
        schema: {
          tags,
          summary: 'List an incident’s exposures (removed ones included)',
          params: idParamsSchema,
          response: opsResponses(exposureListAnswerSchema),
        },
      },
      async (request) => ({ exposures: (await listExposures(deps, Number(request.params.id))).map(presentExposure) }),
    );

    app.post<{ Params: IdParams; Body: ExposureBody }>(
      '/ops/v1/incidents/:id/exposures',
      {
        schema: {
          tags,
          summary: 'Add an exposure: a data category and a selector or a list of account ids; writes a new scope version',
          params: idParamsSchema,
          body: {
            type: 'object',
            required: ['category'],
            additionalProperties: false,
            properties: {
              category: { type: 'string', maxLength: 64 },
              // Validated by the selector parser, whose 422 names the path inside it.
              selector: {},
              account_ids: { type: 'array', maxItems: 10_000, items: { type: 'integer', minimum: 1 } },
            },
          },
          response: opsResponses(exposureChangeWireSchema, 201),
        },
      },
      async (request, reply) => {
        const { category, selector, account_ids: accountIds } = request.body;
        const change = await addExposure(deps, {
          incidentId: Number(request.params.id),
          category,
          ...(selector === undefined ? {} : { selector }),
          ...(accountIds === undefined ? {} : { accountIds }),
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send(presentExposureChange(change));
      },
    );

    app.delete<{ Params: ExposureParams }>(
      '/ops/v1/incidents/:id/exposures/:exposureId',
      {
        schema: {
          tags,
          summary: 'Remove an exposure (kept on record); writes a new scope version',
          params: incidentChildParams('exposureId'),
          response: opsResponses(exposureChangeWireSchema),
        },
      },
      async (request) =>
        presentExposureChange(
          await removeExposure(deps, {
            incidentId: Number(request.params.id),
            exposureId: Number(request.params.exposureId),
            actor: staffActor(requireStaff(request)),
          }),
        ),
    );

    app.get<{ Params: IdParams; Querystring: { version?: string } }>(
      '/ops/v1/incidents/:id/scope',
      {
        schema: {
          tags,
          summary: 'The scope (latest version, or ?version=N): affected accounts, categories, people and records',
          params: idParamsSchema,
          querystring: { type: 'object', properties: { version: smallNumberString } },
          response: opsResponses(scopeWireSchema),
        },
      },
      async (request) => {
        const version = request.query.version;
        return presentScope(await getScope(deps, Number(request.params.id), version === undefined ? undefined : Number(version)));
      },
    );

    app.get<{ Params: IdParams; Querystring: { from: string; to: string } }>(
      '/ops/v1/incidents/:id/scope/diff',
      {
        schema: {
          tags,
          summary: 'Compare two scope versions: accounts added and removed, categories changed',
          params: idParamsSchema,
          querystring: { type: 'object', required: ['from', 'to'], properties: { from: smallNumberString, to: smallNumberString } },
          response: opsResponses(scopeComparisonWireSchema),
        },
      },
      async (request) =>
        presentScopeComparison(await compareScopes(deps, Number(request.params.id), Number(request.query.from), Number(request.query.to))),
    );

    app.get<{ Params: IdParams; Querystring: { account: string; email?: string } }>(
      '/ops/v1/incidents/:id/scope/explain',
      {
        schema: {
          tags,
          summary: 'Why an account (and, with email, a user) is in scope or not, clause by clause',
          params: idParamsSchema,
          querystring: {
            type: 'object',
            required: ['account'],
            properties: {
              account: { type: 'string', minLength: 1, maxLength: 63 },
              email: { type: 'string', minLength: 1, maxLength: 320 },
            },
          },
          response: opsResponses(scopeExplanationWireSchema),
        },
      },
      async (request) => {
        const explanation = await explainScope(deps, Number(request.params.id), {
          subdomain: request.query.account,
          ...(request.query.email === undefined ? {} : { email: request.query.email }),
        });
        await recordStaffWorkOnAccount(deps, staffActor(requireStaff(request)), request.query.account, {
          kind: 'read',
          what: 'incident.scope_explain',
          target: { type: 'incident', id: Number(request.params.id) },
          details: { user_looked_up: request.query.email !== undefined },
        });
        return presentScopeExplanation(explanation);
      },
    );
    done();
  };
}
