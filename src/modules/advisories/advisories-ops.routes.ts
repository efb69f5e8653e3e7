import type { FastifyInstance } from 'fastify';
import { idParamsSchema, idString, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import { requireStaff } from '../staff/staff-auth.js';
import { staffActor } from '../staff/staff.service.js';
import { appendAdvisoryUpdate, listAdvisoryRevisions, saveAdvisoryTranslation, translateAdvisoryUpdate } from './advisory-edits.service.js';
import { requireAdvisoryLocale } from './advisory-locales.js';
import { MAX_ADVISORY_BODY, MAX_ADVISORY_TITLE, MAX_UPDATE_BODY } from './advisory.model.js';
import { createAdvisory, getAdvisory, listAdvisories, publishAdvisory, unpublishAdvisory } from './advisories.service.js';
import {
  advisoryAnswerSchema,
  advisoryListAnswerSchema,
  advisoryRevisionsAnswerSchema,
  advisoryTranslationAnswerSchema,
  advisoryUpdateAnswerSchema,
  presentAdvisoryDetails,
  presentAdvisoryRevision,
  presentAdvisorySummary,
  presentAdvisoryTranslation,
  presentAdvisoryUpdate,
} from './advisories-ops.schema.js';

const localeString = { type: 'string', minLength: 1, maxLength: 35 } as const;
// A locale in the path names a resource: an unknown one is a 404 naming those that exist (a body field is a 422).
const title = { type: 'string', maxLength: MAX_ADVISORY_TITLE * 2 } as const;
// Limits here are generous ceilings; the service names the exact limit after trimming.
const articleBody = { type: 'string', maxLength: MAX_ADVISORY_BODY * 2 } as const;
const updateBody = { type: 'string', maxLength: MAX_UPDATE_BODY * 2 } as const;

const localeParams = { type: 'object', required: ['id', 'locale'], properties: { id: idString, locale: localeString } } as const;
const updateLocaleParams = {
  type: 'object',
  required: ['id', 'seq', 'locale'],
  properties: { id: idString, seq: idString, locale: localeString },
} as const;

interface CreateBody {
  title: string;
  body: string;
  source_locale?: string;
  incident_id?: number | null;
}

interface UpdateBody {
  body: string;
  translations?: Array<{ locale: string; body: string; machine_translated?: boolean }>;
}

/** Advisories for operators: write, translate, publish, append updates, read every revision. Audited. */
export function opsAdvisoryRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/ops/v1/advisories',
      { schema: { tags, summary: 'List advisories, newest first, drafts included', response: opsResponses(advisoryListAnswerSchema) } },
      async () => ({
        advisories: (await listAdvisories(deps)).map(presentAdvisorySummary),
      }),
    );

    app.post<{ Body: CreateBody }>(
      '/ops/v1/advisories',
      {
        schema: {
          tags,
          summary: 'Create a draft advisory with its source text (markdown)',
          body: {
            type: 'object',
            required: ['title', 'body'],
            additionalProperties: false,
            properties: { title, body: articleBody, source_locale: localeString, incident_id: { type: ['integer', 'null'], minimum: 1 } },
          },
          response: opsResponses(advisoryAnswerSchema, 201),
        },
      },
      async (request, reply) => {
        const { body } = request;
        const advisory = await createAdvisory(deps, {
          title: body.title,
          body: body.body,
          ...(body.source_locale === undefined ? {} : { sourceLocale: body.source_locale }),
          incidentId: body.incident_id ?? null,
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send({ advisory: presentAdvisoryDetails(advisory) });
      },
    );

    app.get<{ Params: IdParams }>(
      '/ops/v1/advisories/:id',
      {
        schema: {
          tags,
          summary: 'One advisory with translations, updates and revisions',
          params: idParamsSchema,
          response: opsResponses(advisoryAnswerSchema),
        },
      },
      async (request) => ({ advisory: presentAdvisoryDetails(await getAdvisory(deps, Number(request.params.id))) }),
    );

    app.put<{ Params: { id: string; locale: string }; Body: { title: string; body: string; machine_translated?: boolean } }>(
      '/ops/v1/advisories/:id/translations/:locale',
      {
        schema: {
          tags,
          summary: 'Save a new revision of one locale (the source, or a translation)',
          params: localeParams,
          body: {
            type: 'object',
            required: ['title', 'body'],
            additionalProperties: false,
            properties: { title, body: articleBody, machine_translated: { type: 'boolean' } },
          },
          response: opsResponses(advisoryTranslationAnswerSchema),
        },
      },
      async (request) => {
        const translation = await saveAdvisoryTranslation(deps, {
          advisoryId: Number(request.params.id),
          locale: requireAdvisoryLocale(request.params.locale),
          title: request.body.title,
          body: request.body.body,
          machineTranslated: request.body.machine_translated === true,
          actor: staffActor(requireStaff(request)),
        });
        return { translation: presentAdvisoryTranslation(translation) };
      },
    );

    app.post<{ Params: IdParams }>(
      '/ops/v1/advisories/:id/publish',
      {
        schema: {
          tags,
          summary: 'Publish: the advisory becomes public in every locale it has',
          params: idParamsSchema,
          response: opsResponses(advisoryAnswerSchema),
        },
      },
      async (request) => ({
        advisory: presentAdvisoryDetails(await publishAdvisory(deps, Number(request.params.id), staffActor(requireStaff(request)))),
      }),
    );

    app.post<{ Params: IdParams }>(
      '/ops/v1/advisories/:id/unpublish',
      {
        schema: {
          tags,
          summary: 'Back to draft: the public gets 404 again',
          params: idParamsSchema,
          response: opsResponses(advisoryAnswerSchema),
        },
      },
      async (request) => ({
        advisory: presentAdvisoryDetails(await unpublishAdvisory(deps, Number(request.params.id), staffActor(requireStaff(request)))),
      }),
    );

    app.post<{ Params: IdParams; Body: UpdateBody }>(
      '/ops/v1/advisories/:id/updates',
      {
        schema: {
          tags,
          summary: 'Append a dated update (source text, optional translations); updates are never rewritten',
          params: idParamsSchema,
          body: {
            type: 'object',
            required: ['body'],
            additionalProperties: false,
            properties: {
              body: updateBody,
              translations: {
                type: 'array',
                maxItems: 10,
                items: {
                  type: 'object',
                  required: ['locale', 'body'],
                  additionalProperties: false,
                  properties: { locale: localeString, body: updateBody, machine_translated: { type: 'boolean' } },
                },
              },
            },
          },
          response: opsResponses(advisoryUpdateAnswerSchema, 201),
        },
      },
      async (request, reply) => {
        const update = await appendAdvisoryUpdate(deps, {
          advisoryId: Number(request.params.id),
          body: request.body.body,
          translations: (request.body.translations ?? []).map((translation) => ({
            locale: translation.locale,
            body: translation.body,
            machineTranslated: translation.machine_translated === true,
          })),
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send({ update: presentAdvisoryUpdate(update) });
      },
    );

    app.post<{ Params: { id: string; seq: string; locale: string }; Body: { body: string; machine_translated?: boolean } }>(
      '/ops/v1/advisories/:id/updates/:seq/translations/:locale',
      {
        schema: {
          tags,
          summary: 'Add a locale’s text to an update that lacks it (409 if it has one: updates are never rewritten)',
          params: updateLocaleParams,
          body: {
            type: 'object',
            required: ['body'],
            additionalProperties: false,
            properties: { body: updateBody, machine_translated: { type: 'boolean' } },
          },
          response: opsResponses(advisoryUpdateAnswerSchema, 201),
        },
      },
      async (request, reply) => {
        const update = await translateAdvisoryUpdate(deps, {
          advisoryId: Number(request.params.id),
          seq: Number(request.params.seq),
          locale: requireAdvisoryLocale(request.params.locale),
          body: request.body.body,
          machineTranslated: request.body.machine_translated === true,
          actor: staffActor(requireStaff(request)),
        });
        return reply.code(201).send({ update: presentAdvisoryUpdate(update) });
      },
    );

    app.get<{ Params: IdParams; Querystring: { locale?: string } }>(
      '/ops/v1/advisories/:id/revisions',
      {
        schema: {
          tags,
          summary: 'Every saved revision, oldest first (optionally of one locale)',
          params: idParamsSchema,
          querystring: { type: 'object', additionalProperties: false, properties: { locale: localeString } },
          response: opsResponses(advisoryRevisionsAnswerSchema),
        },
      },
      async (request) => ({
        revisions: (await listAdvisoryRevisions(deps, Number(request.params.id), request.query.locale)).map(presentAdvisoryRevision),
      }),
    );
    done();
  };
}
