import type { FastifyInstance } from 'fastify';
import { baseUrlOf, errorResponses } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { auditLogFilterProperties, auditLogPageSchema, type AuditLogQuery } from './audit-logs.schema.js';
import { sendCsv } from './csv-reply.js';
import { operatorAuditLogCsv, operatorAuditLogPage } from './operator-audit-logs.service.js';
import { paginationQuerySchema } from '../../platform/http/pagination.js';
import { opsTags as tags } from '../../platform/http/ops-shapes.js';
import { requireStaff } from '../staff/staff-auth.js';
import { staffActor } from '../staff/staff.service.js';

type OpsAuditLogQuery = AuditLogQuery & { account: string };

const querystring = {
  type: 'object',
  required: ['account'],
  properties: { account: { type: 'string', minLength: 1, maxLength: 63 }, ...paginationQuerySchema, ...auditLogFilterProperties },
} as const;

/** An account's audit trail for operators; each read is a `staff.read` on that account's chain, which its admins see. */
export function opsAuditLogRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: OpsAuditLogQuery }>(
      '/ops/v1/audit_logs',
      {
        schema: {
          tags,
          summary: 'One account’s audit trail (?account=SUBDOMAIN, same filters as /api/v2/audit_logs); audited on that account',
          querystring,
          response: { 200: auditLogPageSchema, ...errorResponses },
        },
      },
      async (request) => {
        // The whole query goes on, so the next page's link keeps `account` and the filters.
        const url = `${baseUrlOf(request)}/ops/v1/audit_logs.json`;
        return operatorAuditLogPage(deps, staffActor(requireStaff(request)), request.query.account, request.query, url);
      },
    );

    app.get<{ Querystring: OpsAuditLogQuery }>(
      '/ops/v1/audit_logs.csv',
      {
        schema: {
          tags,
          summary: 'One account’s audit trail as CSV, streamed; audited on that account',
          querystring,
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const { account, ...query } = request.query;
        const exported = await operatorAuditLogCsv(deps, staffActor(requireStaff(request)), account, query);
        return sendCsv(reply, `audit-log-${exported.account.subdomain}.csv`, exported.lines);
      },
    );
    done();
  };
}
