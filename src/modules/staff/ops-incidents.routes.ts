import type { FastifyInstance } from 'fastify';
import { idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { renderEvidenceHtml } from '../incidents/evidence.html.js';
import { buildEvidence } from '../incidents/evidence.service.js';
import { recordStaffWorkOnAccount } from '../staff-access/staff-work.js';
import { addTask, completeTask, declareIncident, getIncident, listIncidents, transitionIncident } from '../incidents/incidents.service.js';
import { createdResponses, incidentChildParams, okResponses, openObject, opsTags as tags, timestampString } from './ops-shapes.js';
import { requireStaff } from './staff-auth.js';
import { staffActor } from './staff.service.js';

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
    app.get('/ops/v1/incidents', { schema: { tags, summary: 'List incidents, newest first', response: okResponses } }, async () => ({
      incidents: await listIncidents(deps),
    }));

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
          response: createdResponses,
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
        return reply.code(201).send({ incident });
      },
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/incidents/:id',
      { schema: { tags, summary: 'One incident with its timeline and tasks', params: idParamsSchema, response: okResponses } },
      async (request) => ({ incident: await getIncident(deps, Number(request.params.id)) }),
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
          response: okResponses,
        },
      },
      async (request) => {
        const incident = await transitionIncident(deps, {
          incidentId: Number(request.params.id),
          to: request.body.state,
          ...(request.body.note === undefined ? {} : { note: request.body.note }),
          actor: staffActor(requireStaff(request)),
        });
        return { incident };
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
          response: createdResponses,
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
        return reply.code(201).send({ task });
      },
    );

    app.post<{ Params: TaskParams }>(
      '/ops/v1/incidents/:id/tasks/:taskId/done',
      { schema: { tags, summary: 'Mark a task done', params: incidentChildParams('taskId'), response: okResponses } },
      async (request) => {
        const task = await completeTask(deps, {
          incidentId: Number(request.params.id),
          taskId: Number(request.params.taskId),
          actor: staffActor(requireStaff(request)),
        });
        return { task };
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
          response: { ...okResponses, 200: openObject },
        },
      },
      async (request, reply) => {
        const evidence = await buildEvidence(deps, Number(request.params.id), request.query.account);
        await recordStaffWorkOnAccount(deps, staffActor(requireStaff(request)), request.query.account, {
          kind: 'read',
          what: 'incident.evidence',
          target: { type: 'incident', id: Number(request.params.id) },
        });
        if (request.query.format !== 'html') return evidence;
        return reply.type('text/html; charset=utf-8').send(renderEvidenceHtml(evidence));
      },
    );
    done();
  };
}
