import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { renderAdvisoryMarkdown } from '../advisories/advisory-markdown.js';
import { MAX_ADVISORY_BODY } from '../advisories/advisory.model.js';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import { advisoryPreviewAnswerSchema, type AdvisoryPreviewAnswer } from '../advisories/advisories-ops.schema.js';

/**
 * The advisory editor's preview: the markdown rendered exactly as the public
 * page will render it (same renderer, same allowlist), without saving it.
 */
export function advisoryPreviewRoutes(_deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Body: { body: string } }>(
      '/ops/v1/advisories/preview',
      {
        schema: {
          tags,
          summary: 'Render advisory markdown as the public page would, without saving it',
          body: {
            type: 'object',
            required: ['body'],
            additionalProperties: false,
            properties: { body: { type: 'string', maxLength: MAX_ADVISORY_BODY * 2 } },
          },
          response: opsResponses(advisoryPreviewAnswerSchema),
        },
      },
      (request): AdvisoryPreviewAnswer => {
        try {
          // The renderer's default heading level is the article body's on the public page.
          return { html: renderAdvisoryMarkdown(request.body.body) };
        } catch (error) {
          throw new AppError(
            'RecordInvalid',
            'This text renders to HTML the advisory page does not publish; remove the construct and try again.',
            {
              details: { body: ['renders to disallowed HTML'] },
              detail: error instanceof Error ? error.message : String(error),
            },
          );
        }
      },
    );
    done();
  };
}
