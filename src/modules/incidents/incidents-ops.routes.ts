import type { FastifyInstance } from 'fastify';
import { idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { baseUrlOf } from '../../platform/http/route-shapes.js';
import {
  signInEventsPageWireSchema,
  signInEventsQuerySchema,
  type SignInEventsQuery,
} from '../auth/sign-in-events/sign-in-events.schema.js';
import { signInEventsPage } from '../auth/sign-in-events/sign-in-events.service.js';
import { affectingIncident } from './customer-view.service.js';
import { findControllerAccount } from './customer-view.repo.js';
import { inventoryCutoffOf } from './scope.service.js';
import { notFound } from '../../errors.js';
import { renderEvidenceHtml } from './evidence.html.js';
import { buildEvidence } from './evidence.service.js';
import { recordStaffWorkOnAccount } from '../staff-access/staff-work.js';
import { addTask, completeTask, declareIncident, getIncident, listIncidents, transitionIncident } from './incidents.service.js';
import { incidentChildParams, opsResponses, opsTags as tags, timestampString } from '../../platform/http/ops-shapes.js';
import {
  evidenceWireSchema,
  incidentAnswerSchema,
  incidentListAnswerSchema,
  presentEvidence,
  presentIncident,
  presentIncidentSummary,
  presentTask,
  taskAnswerSchema,
} from './incidents-ops.schema.js';
import { requireStaff } from '../staff/staff-auth.js';
import { staffActor } from '../staff/staff.service.js';

interface DeclareBody {
  title: string;
  became_aware_at: string;
  cutoff?: string | null;
  exposure_window?: { starts_at: string; ends_at?: string | null } | null;
}

interface TaskParams {
  id: string;
  taskId: string;
}

/** Incidents, their states and tasks, and the Article 33 evidence, for operators. */
export function opsIncidentRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/ops/v1/incidents',
      { schema: { tags, summary: 'List incidents, newest first', response: opsResponses(incidentListAnswerSchema) } },
      async () => ({ incidents: (await listIncidents(deps)).map(presentIncidentSummary) }),
    );

    app.post<{ Body: DeclareBody }>(
      '/ops/v1/incidents',
      {
        schema: {
          tags,
          summary: 'Declare an incident (adds the 72-hour supervisory-authority task)',
          body: {
            type: 'object',
            required: ['title', 'became_aware_at'],
            additionalProperties: false,
            properties: {
              title: { type: 'string', maxLength: 500 },
              became_aware_at: timestampString,
              cutoff: { type: ['string', 'null'], maxLength: 64 },
              exposure_window: {
                type: ['object', 'null'],
                required: ['starts_at'],
                additionalProperties: false,
                properties: { starts_at: timestampString, ends_at: { type: ['string', 'null'], maxLength: 64 } },
              },
            },
          },
          response: opsResponses(incidentAnswerSchema, 201),
        },
      },
      async (request, reply) => {
        const body = request.body;
        const window = body.exposure_window;
        const incident = await declareIncident(deps, {
          title: body.title,
          becameAwareAt: body.became_aware_at,
          cutoff: body.cutoff ?? null,
          exposureWindow: window === undefined || window === null ? null : { startsAt: window.starts_at, endsAt: window.ends_at ?? null },
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send({ incident: presentIncident(incident) });
      },
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/incidents/:id',
      {
        schema: {
          tags,
          summary: 'One incident with its timeline and tasks',
          params: idParamsSchema,
          response: opsResponses(incidentAnswerSchema),
        },
      },
      async (request) => ({ incident: presentIncident(await getIncident(deps, Number(request.params.id))) }),
    );

    app.post<{ Params: IdParams; Body: { state: string; note?: string } }>(
      '/ops/v1/incidents/:id/transitions',
      {
        schema: {
          tags,
          summary: 'Move an incident to another state',
          params: idParamsSchema,
          body: {
            type: 'object',
            required: ['state'],
            additionalProperties: false,
            properties: { state: { type: 'string', maxLength: 64 }, note: { type: 'string', maxLength: 2000 } },
          },
          response: opsResponses(incidentAnswerSchema),
        },
      },
      async (request) => {
        const incident = await transitionIncident(deps, {
          incidentId: Number(request.params.id),
          to: request.body.state,
          ...(request.body.note === undefined ? {} : { note: request.body.note }),
          actor: staffActor(requireStaff(request)),
        });
        return { incident: presentIncident(incident) };
      },
    );

    app.post<{ Params: IdParams; Body: { title: string; owner?: string | null; due_at?: string | null } }>(
      '/ops/v1/incidents/:id/tasks',
      {
        schema: {
          tags,
          summary: 'Add a task to an open incident',
          params: idParamsSchema,
          body: {
            type: 'object',
            required: ['title'],
            additionalProperties: false,
            properties: {
              title: { type: 'string', maxLength: 500 },
              owner: { type: ['string', 'null'], maxLength: 200 },
              due_at: { type: ['string', 'null'], maxLength: 64 },
            },
          },
          response: opsResponses(taskAnswerSchema, 201),
        },
      },
      async (request, reply) => {
        const task = await addTask(deps, {
          incidentId: Number(request.params.id),
          title: request.body.title,
          owner: request.body.owner ?? null,
          dueAt: request.body.due_at ?? null,
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send({ task: presentTask(task) });
      },
    );

    app.post<{ Params: TaskParams; Body: { public?: boolean } | null | undefined }>(
      '/ops/v1/incidents/:id/tasks/:taskId/done',
      {
        schema: {
          tags,
          summary: 'Mark a task done; with {"public": true} customers see it, dated, among what the vendor has done',
          params: incidentChildParams('taskId'),
          // Optional: the console posts none (then the task stays internal).
          body: { type: ['object', 'null'], additionalProperties: false, properties: { public: { type: 'boolean' } } },
          response: opsResponses(taskAnswerSchema),
        },
      },
      async (request) => {
        const task = await completeTask(deps, {
          incidentId: Number(request.params.id),
          taskId: Number(request.params.taskId),
          public: request.body?.public === true,
          actor: staffActor(requireStaff(request)),
        });
        return { task: presentTask(task) };
      },
    );

    app.get<{ Params: IdParams; Querystring: { account: string; format?: 'json' | 'html' } }>(
      '/ops/v1/incidents/:id/evidence',
      {
        schema: {
          tags,
          summary: 'The GDPR Article 33 evidence for one account (JSON, or a printable page with format=html)',
          params: idParamsSchema,
          querystring: {
            type: 'object',
            required: ['account'],
            properties: { account: { type: 'string', minLength: 1, maxLength: 63 }, format: { type: 'string', enum: ['json', 'html'] } },
          },
          // The JSON answer; with format=html the same facts as a printable page (not serialised by this schema).
          response: opsResponses(evidenceWireSchema),
        },
      },
      async (request, reply) => {
        const evidence = await buildEvidence(deps, Number(request.params.id), request.query.account);
        await recordStaffWorkOnAccount(deps, staffActor(requireStaff(request)), request.query.account, {
          kind: 'read',
          what: 'incident.evidence',
          target: { type: 'incident', id: Number(request.params.id) },
        });
        if (request.query.format !== 'html') return presentEvidence(evidence);
        return reply.type('text/html; charset=utf-8').send(renderEvidenceHtml(evidence));
      },
    );

    app.get<{ Params: IdParams; Querystring: SignInEventsQuery & { account: string } }>(
      '/ops/v1/incidents/:id/sign_in_events',
      {
        schema: {
          tags,
          summary:
            'One affected account’s sign-in events for the incident, newest first: from the start of the exposure (else the cutoff) unless `since` says otherwise; the same filters and pages as the account’s own API',
          params: idParamsSchema,
          querystring: {
            ...signInEventsQuerySchema,
            required: ['account'],
            properties: { ...signInEventsQuerySchema.properties, account: { type: 'string', minLength: 1, maxLength: 63 } },
          },
          response: opsResponses(signInEventsPageWireSchema),
        },
      },
      async (request) => {
        const incidentId = Number(request.params.id);
        const { account: subdomain, ...filters } = request.query;
        const account = await findControllerAccount(deps.db, subdomain.trim().toLowerCase());
        if (account === undefined) throw notFound(`Account ${subdomain}`);
        const incident = await affectingIncident(deps, incidentId, Number(account.id));
        await recordStaffWorkOnAccount(deps, staffActor(requireStaff(request)), account.subdomain, {
          kind: 'read',
          what: 'incident.sign_in_events',
          target: { type: 'incident', id: incidentId },
        });
        const url = `${baseUrlOf(request)}/ops/v1/incidents/${incidentId}/sign_in_events`;
        const since = filters.since ?? incident.exposure_starts_at ?? inventoryCutoffOf(incident);
        const page = await signInEventsPage(deps, Number(account.id), { ...filters, since }, url, 'operators');
        // The next page keeps naming the account.
        const next = page.links.next === null ? null : `${page.links.next}&account=${encodeURIComponent(account.subdomain)}`;
        return { ...page, links: { next } };
      },
    );
    done();
  };
}
