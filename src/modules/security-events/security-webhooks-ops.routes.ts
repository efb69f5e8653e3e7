import type { FastifyInstance } from 'fastify';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import { errorResponses, idParamsSchema } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireStaff } from '../staff/staff-auth.js';
import { presentWebhook } from './security-webhooks.schema.js';
import {
  opsCreateWebhookBodySchema,
  opsWebhookAnswerSchema,
  opsWebhookListAnswerSchema,
  type OpsCreateWebhookBody,
} from './security-webhooks-ops.schema.js';
import { createOperatorWebhook, deleteOperatorWebhook, listOperatorWebhooks } from './webhook-subscriptions.service.js';

/** Operators' endpoints: every account's security events and the platform's own (operator role; audited on the platform chain). */
export function opsSecurityWebhookRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/ops/v1/webhooks',
      { schema: { tags, summary: 'List the operators’ security event webhooks', response: opsResponses(opsWebhookListAnswerSchema) } },
      async () => ({ webhooks: (await listOperatorWebhooks(deps)).map((row) => presentWebhook(row)) }),
    );

    app.post<{ Body: OpsCreateWebhookBody }>(
      '/ops/v1/webhooks',
      {
        schema: {
          tags,
          summary: 'Register a webhook for every account’s security events; its secret is in this answer only',
          body: opsCreateWebhookBodySchema,
          response: opsResponses(opsWebhookAnswerSchema, 201),
        },
      },
      async (request, reply) => {
        const { row, secret } = await createOperatorWebhook(deps, requireStaff(request), request.body.webhook);
        void reply.header('cache-control', 'no-store');
        return reply.status(201).send({ webhook: presentWebhook(row, secret) });
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/ops/v1/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Remove an operators’ webhook',
          params: idParamsSchema,
          response: { 204: { type: 'null' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        await deleteOperatorWebhook(deps, requireStaff(request), Number(request.params.id));
        return reply.status(204).send();
      },
    );
    done();
  };
}
