import type { FastifyInstance } from 'fastify';
import { idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { campaignCompletion, cancelCampaign, createCampaign, getCampaign, pauseCampaign, resumeCampaign } from './campaigns.service.js';
import { scheduleCampaign, startCampaign } from './campaign-start.service.js';
import { API_PASSWORD_REVOCATIONS, BATCH_ORDERS } from './campaign-view.js';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import { requireStaff } from '../staff/staff-auth.js';
import { staffActor } from '../staff/staff.service.js';
import {
  campaignAnswerSchema,
  campaignWithCompletionAnswerSchema,
  draftedCampaignAnswerSchema,
  presentCampaign,
  presentCampaignWithCompletion,
  presentDraftedCampaign,
} from './campaigns-ops.schema.js';

interface DraftBody {
  selector: unknown;
  revoke_sessions?: boolean;
  cutoff?: string;
  batch_size?: number;
  start_at?: string;
  order?: string;
  revoke_api_passwords?: string;
}

const startAtSchema = { type: 'string', minLength: 1, maxLength: 64 } as const;

const verbs = { start: startCampaign, pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign } as const;

/** Rotation campaigns: draft with a dry run, then start, pause, resume or cancel, and follow progress. */
export function opsCampaignRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Params: IdParams; Body: DraftBody }>(
      '/ops/v1/incidents/:id/campaigns',
      {
        schema: {
          tags,
          summary:
            'Draft a rotation campaign and return its dry run (nothing is flagged until start); with start_at, schedule it: its targets are frozen and told now, and it starts by itself then',
          params: idParamsSchema,
          body: {
            type: 'object',
            required: ['selector'],
            additionalProperties: false,
            properties: {
              // Validated by the selector parser, whose 422 names the path inside it.
              selector: {},
              revoke_sessions: { type: 'boolean' },
              cutoff: { type: 'string', maxLength: 64 },
              batch_size: { type: 'integer', minimum: 1, maximum: 1_000_000 },
              start_at: startAtSchema,
              // weakest_first: critical targets' batches first, then high, then moderate (README, "Risk by hash strength").
              order: { type: 'string', enum: [...BATCH_ORDERS] },
              // Revoke email:password API access of these tiers' targets when the campaign starts.
              revoke_api_passwords: { type: 'string', enum: [...API_PASSWORD_REVOCATIONS] },
            },
          },
          response: opsResponses(draftedCampaignAnswerSchema, 201),
        },
      },
      async (request, reply) => {
        const body = request.body;
        const campaign = await createCampaign(deps, {
          incidentId: Number(request.params.id),
          selector: body.selector,
          ...(body.revoke_sessions === undefined ? {} : { revokeSessions: body.revoke_sessions }),
          ...(body.cutoff === undefined ? {} : { cutoff: body.cutoff }),
          ...(body.batch_size === undefined ? {} : { batchSize: body.batch_size }),
          ...(body.start_at === undefined ? {} : { startAt: body.start_at }),
          ...(body.order === undefined ? {} : { order: body.order }),
          ...(body.revoke_api_passwords === undefined ? {} : { revokeApiPasswords: body.revoke_api_passwords }),
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send({ campaign: presentDraftedCampaign(campaign) });
      },
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/campaigns/:id',
      {
        schema: {
          tags,
          summary: 'A campaign with its progress (done, total, rate, time left) and completion',
          params: idParamsSchema,
          response: opsResponses(campaignWithCompletionAnswerSchema),
        },
      },
      async (request) => {
        const id = Number(request.params.id);
        const campaign = await getCampaign(deps, id);
        return presentCampaignWithCompletion(campaign, await campaignCompletion(deps, id));
      },
    );

    app.post<{ Params: IdParams; Body: { start_at: string } }>(
      '/ops/v1/campaigns/:id/schedule',
      {
        schema: {
          tags,
          summary: 'Schedule a draft: freeze its targets and send them the advance notice now, start it by itself at start_at',
          params: idParamsSchema,
          body: { type: 'object', required: ['start_at'], additionalProperties: false, properties: { start_at: startAtSchema } },
          response: opsResponses(campaignAnswerSchema),
        },
      },
      async (request) => ({
        campaign: presentCampaign(
          await scheduleCampaign(deps, Number(request.params.id), request.body.start_at, staffActor(requireStaff(request))),
        ),
      }),
    );

    for (const [verb, change] of Object.entries(verbs)) {
      app.post<{ Params: IdParams }>(
        `/ops/v1/campaigns/:id/${verb}`,
        {
          schema: {
            tags,
            summary: `${verb[0]?.toUpperCase() ?? ''}${verb.slice(1)} a rotation campaign`,
            params: idParamsSchema,
            response: opsResponses(campaignAnswerSchema),
          },
        },
        async (request) => ({
          campaign: presentCampaign(await change(deps, Number(request.params.id), staffActor(requireStaff(request)))),
        }),
      );
    }
    done();
  };
}
