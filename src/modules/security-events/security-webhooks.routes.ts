import type { FastifyInstance } from 'fastify';
import { errorResponses, idParamsSchema } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import {
  createWebhookBodySchema,
  presentWebhook,
  webhookAnswerSchema,
  webhookListAnswerSchema,
  type CreateWebhookBody,
} from './security-webhooks.schema.js';
import { createAccountWebhook, deleteAccountWebhook, listAccountWebhooks } from './webhook-subscriptions.service.js';

const tags = ['security events'];

/** An account's admins register endpoints for their own account's security events (README, "Security events out"). */
export function securityWebhookRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/api/v2/security/webhooks',
      {
        schema: {
          tags,
          summary: 'List the account’s security event webhooks (never their secrets)',
          response: { 200: webhookListAnswerSchema, ...errorResponses },
        },
      },
      async (request) => ({ webhooks: (await listAccountWebhooks(deps, requirePrincipal(request))).map((row) => presentWebhook(row)) }),
    );

    app.post<{ Body: CreateWebhookBody }>(
      '/api/v2/security/webhooks',
      {
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags,
          summary: 'Register a webhook for the account’s security events; its signing secret is in this answer only',
          body: createWebhookBodySchema,
          response: { 201: webhookAnswerSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { row, secret } = await createAccountWebhook(deps, requirePrincipal(request), request.body.webhook);
        void reply.header('cache-control', 'no-store');
        return reply.status(201).send({ webhook: presentWebhook(row, secret) });
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/api/v2/security/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Remove a webhook; events not yet delivered to it are dropped',
          params: idParamsSchema,
          response: { 204: { type: 'null' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        await deleteAccountWebhook(deps, requirePrincipal(request), Number(request.params.id));
        return reply.status(204).send();
      },
    );
    done();
  };
}
