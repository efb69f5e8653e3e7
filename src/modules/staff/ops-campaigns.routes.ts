import type { FastifyInstance } from 'fastify';
import { idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import {
  campaignCompletion,
  cancelCampaign,
  createCampaign,
  getCampaign,
  pauseCampaign,
  resumeCampaign,
  startCampaign,
} from '../incidents/campaigns.service.js';
import { createdResponses, okResponses, opsTags as tags } from './ops-shapes.js';
import { requireStaff } from './staff-auth.js';
import { staffActor } from './staff.service.js';

interface DraftBody {
  selector: unknown;
  revoke_sessions?: boolean;
  cutoff?: string;
  batch_size?: number;
}

const verbs = { start: startCampaign, pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign } as const;

/** Rotation campaigns: draft with a dry run, then start, pause, resume or cancel, and follow progress. */
export function opsCampaignRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Params: IdParams; Body: DraftBody }>(
      '/ops/v1/incidents/:id/campaigns',
      {
        schema: {
          tags,
          summary: 'Draft a rotation campaign and return its dry run (nothing is flagged until start)',
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
            },
          },
          response: createdResponses,
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
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send({ campaign });
      },
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/campaigns/:id',
      {
        schema: {
          tags,
          summary: 'A campaign with its progress (done, total, rate, time left) and completion',
          params: idParamsSchema,
          response: okResponses,
        },
      },
      async (request) => {
        const id = Number(request.params.id);
        const campaign = await getCampaign(deps, id);
        return { campaign, completion: await campaignCompletion(deps, id) };
      },
    );

    for (const [verb, change] of Object.entries(verbs)) {
      app.post<{ Params: IdParams }>(
        `/ops/v1/campaigns/:id/${verb}`,
        {
          schema: {
            tags,
            summary: `${verb[0]?.toUpperCase() ?? ''}${verb.slice(1)} a rotation campaign`,
            params: idParamsSchema,
            response: okResponses,
          },
        },
        async (request) => ({ campaign: await change(deps, Number(request.params.id), staffActor(requireStaff(request))) }),
      );
    }
    done();
  };
}
