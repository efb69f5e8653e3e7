import type { FastifyInstance } from 'fastify';
import { requestIncidentNotification } from './incident-notify-request.js';
import { notificationPage, notificationTotals } from './notification-report.service.js';
import { pageBody, paginationQuerySchema, readPageRequest, type PaginationQuery } from '../../platform/http/pagination.js';
import { baseUrlOf, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import { requireStaff } from '../staff/staff-auth.js';
import { staffActor } from '../staff/staff.service.js';
import {
  notificationReportAnswerSchema,
  notifyAnswerSchema,
  presentNotificationReport,
  presentNotifyRequest,
} from './notices-ops.schema.js';

interface NotifyBody {
  users?: boolean;
  retry_failed?: boolean;
}

/** `incident notify` over HTTP, and the delivery report of an incident's notices. */
export function opsNotificationRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Params: IdParams; Body: NotifyBody | undefined }>(
      '/ops/v1/incidents/:id/notifications',
      {
        schema: {
          tags,
          summary:
            'Notify the affected accounts in the background: a tailored notice to each (owner, admins, security contact), with users=true one to each rotation target, with retry_failed=true the failed notices queued again first; running it again queues nothing twice. Follow it with GET.',
          params: idParamsSchema,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { users: { type: 'boolean' }, retry_failed: { type: 'boolean' } },
          },
          response: opsResponses(notifyAnswerSchema, 202),
        },
      },
      async (request, reply) => {
        const id = Number(request.params.id);
        const notification = await requestIncidentNotification(deps, {
          incidentId: id,
          users: request.body?.users === true,
          retryFailed: request.body?.retry_failed === true,
          actor: staffActor(requireStaff(request)),
        });
        const report = await notificationTotals(deps, id);
        return reply.code(202).send(presentNotifyRequest(notification, report));
      },
    );

    app.get<{ Params: IdParams; Querystring: PaginationQuery }>(
      '/ops/v1/incidents/:id/notifications',
      {
        schema: {
          tags,
          summary:
            'Delivery report of an incident’s notices: sent, pending and failed in all and per purpose, then per account (paginated) with the failures of those accounts and the server’s answers',
          params: idParamsSchema,
          querystring: { type: 'object', additionalProperties: false, properties: paginationQuerySchema },
          response: opsResponses(notificationReportAnswerSchema),
        },
      },
      async (request) => {
        const id = Number(request.params.id);
        const pageRequest = readPageRequest(request.query);
        const totals = await notificationTotals(deps, id);
        const page = await notificationPage(deps, id, pageRequest);
        const body = await pageBody(
          'accounts',
          page.accounts,
          pageRequest,
          `${baseUrlOf(request)}/ops/v1/incidents/${id}/notifications`,
          page.countAccounts,
        );
        return presentNotificationReport(totals, body, page.failed);
      },
    );
    done();
  };
}
