import type { FastifyInstance } from 'fastify';
import { isAppError } from '../../errors.js';
import { errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { csrfTokenFor, readCookie } from '../auth/sessions/session-cookie.js';
import { getCampaign } from '../incidents/campaigns.service.js';
import { getIncident } from '../incidents/incidents.service.js';
import { presentCampaign } from '../incidents/campaigns-ops.schema.js';
import { parseSelector, type SelectorProblem } from '../incidents/selectors/selector.model.js';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import { requireStaff, STAFF_COOKIE } from '../staff/staff-auth.js';
import { presentStaff, staffSessionWireSchema, type StaffSessionWire } from '../staff/staff-session.schema.js';
import { advisoryPreviewRoutes } from './advisory-preview.routes.js';
import { CampaignEventStreams } from './campaign-events.js';
import { campaignIdsOfIncident } from './campaign-series.repo.js';
import { campaignSeries } from './campaign-series.service.js';
import {
  campaignListWireSchema,
  campaignSeriesAnswerSchema,
  presentSelectorProblems,
  presentSeries,
  presentValidSelector,
  selectorValidationWireSchema,
  type SelectorValidationWire,
} from './ops-console.schema.js';

/**
 * What the operator console needs beyond the operator API: who is signed in
 * (the CSRF token again after a reload), selector validation as the operator
 * types, an incident's campaigns, and a campaign's progress as server-sent
 * events and as a time series for its chart.
 */
export function opsConsoleRoutes(deps: ServiceDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(advisoryPreviewRoutes(deps));
    const streams = new CampaignEventStreams(deps);
    // Open streams would keep the server from closing.
    app.addHook('preClose', (next) => {
      streams.closeAll();
      next();
    });

    app.get(
      '/ops/v1/session',
      {
        config: { staffAccess: 'any-staff' },
        schema: {
          tags,
          summary: 'The signed-in staff member and the CSRF token of the session',
          response: opsResponses(staffSessionWireSchema),
        },
      },
      (request): StaffSessionWire => {
        const staff = requireStaff(request);
        const token = readCookie(request, STAFF_COOKIE) ?? '';
        return { csrf_token: csrfTokenFor(token), staff: presentStaff(staff) };
      },
    );

    app.post<{ Body: { selector: unknown } }>(
      '/ops/v1/selectors/validate',
      {
        schema: {
          tags,
          summary: 'Check a selector without saving it: valid with its normalised form, or the problems by path',
          body: { type: 'object', required: ['selector'], additionalProperties: false, properties: { selector: {} } },
          response: opsResponses(selectorValidationWireSchema),
        },
      },
      (request): SelectorValidationWire => {
        try {
          return presentValidSelector(parseSelector(request.body.selector));
        } catch (error) {
          if (!isAppError(error) || error.code !== 'InvalidSelector') throw error;
          // The parser's InvalidSelector always lists its problems in `details`.
          return presentSelectorProblems(error.message, (error.details?.problems ?? []) as SelectorProblem[]);
        }
      },
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/incidents/:id/campaigns',
      {
        schema: {
          tags,
          summary: 'An incident’s rotation campaigns, newest first',
          params: idParamsSchema,
          response: opsResponses(campaignListWireSchema),
        },
      },
      async (request) => {
        const incident = await getIncident(deps, Number(request.params.id));
        const ids = await campaignIdsOfIncident(deps.db, incident.id);
        return { campaigns: (await Promise.all(ids.map((id) => getCampaign(deps, id)))).map(presentCampaign) };
      },
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/campaigns/:id/series',
      {
        schema: {
          tags,
          summary: 'A campaign’s progress and completion over time (cumulative, per second, minute, hour or day)',
          params: idParamsSchema,
          response: opsResponses(campaignSeriesAnswerSchema),
        },
      },
      async (request) => ({ series: presentSeries(await campaignSeries(deps, Number(request.params.id))) }),
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/campaigns/:id/events',
      {
        schema: {
          tags,
          summary: 'A campaign’s progress as server-sent events: snapshot, then progress on change and completion now and then',
          params: idParamsSchema,
          response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        requireStaff(request);
        await streams.stream(request, reply, Number(request.params.id), readCookie(request, STAFF_COOKIE) ?? '');
      },
    );
  };
}
