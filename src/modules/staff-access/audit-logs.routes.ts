import type { FastifyInstance } from 'fastify';
import { baseUrlOf, errorResponses } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal, requireRole } from '../auth/principal.js';
import { auditLogPageSchema, auditLogQuerySchema, type AuditLogQuery } from './audit-logs.schema.js';
import { auditLogCsv, auditLogPage, readAuditLogFilter } from './audit-logs.service.js';
import { sendCsv } from './csv-reply.js';

const tags = ['audit logs'];

/** The account's audit trail for its admins: Zendesk's `audit_logs`, filtered and paginated, and a streamed CSV export. */
export function auditLogRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: AuditLogQuery }>(
      '/api/v2/audit_logs',
      {
        schema: {
          tags,
          summary:
            'The account’s audit trail, newest first (filter[action], filter[actor_type], filter[created_at][] twice; cursor or offset pages)',
          querystring: auditLogQuerySchema,
          response: { 200: auditLogPageSchema, ...errorResponses },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        const filter = readAuditLogFilter(principal.account.id, request.query);
        return auditLogPage(deps.db, filter, request.query, `${baseUrlOf(request)}/api/v2/audit_logs.json`);
      },
    );

    app.get<{ Querystring: AuditLogQuery }>(
      '/api/v2/audit_logs/export.csv',
      {
        schema: {
          tags,
          summary: 'The account’s audit trail as CSV (same filters), oldest first, streamed',
          querystring: auditLogQuerySchema,
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        const filter = readAuditLogFilter(principal.account.id, request.query);
        const order = request.query.sort === '-created_at' ? 'desc' : 'asc';
        return sendCsv(reply, `audit-log-${principal.account.subdomain}.csv`, auditLogCsv(deps.db, filter, order));
      },
    );
    done();
  };
}
