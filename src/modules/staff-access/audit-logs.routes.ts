import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { baseUrlOf, errorResponses } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal, requireRole } from '../accounts/principal.js';
import { auditLogPageSchema, auditLogQuerySchema, type AuditLogQuery } from './audit-logs.schema.js';
import { auditLogCsv, auditLogPage, readAuditLogFilter } from './audit-logs.service.js';
import { sendCsv } from './csv-reply.js';

const tags = ['audit logs'];

type AuditLogRequest = FastifyRequest<{ Querystring: AuditLogQuery }>;

/** What an admin may read of the account's audit trail: every event, or those of `actions` only. */
function adminAuditLogFilter(
  request: AuditLogRequest,
  actions?: readonly string[],
): { filter: ReturnType<typeof readAuditLogFilter>; subdomain: string } {
  const principal = requirePrincipal(request);
  requireRole(principal, 'admin');
  return { filter: readAuditLogFilter(principal.account.id, request.query, actions), subdomain: principal.account.subdomain };
}

/** A handler for a page of the account's audit trail (admins), under `key`, its links pointing at `path`. */
export const auditLogPageHandler =
  (deps: ServiceDeps, page: { path: string; key: string; actions?: readonly string[] }) => async (request: AuditLogRequest) =>
    auditLogPage(deps.db, adminAuditLogFilter(request, page.actions).filter, request.query, `${baseUrlOf(request)}${page.path}`, page.key);

/** A handler streaming the account's audit trail (admins) as `{fileName}-{subdomain}.csv`, oldest first unless sorted. */
export const auditLogCsvHandler =
  (deps: ServiceDeps, csv: { fileName: string; actions?: readonly string[] }) => async (request: AuditLogRequest, reply: FastifyReply) => {
    const { filter, subdomain } = adminAuditLogFilter(request, csv.actions);
    const order = request.query.sort === '-created_at' ? 'desc' : 'asc';
    return sendCsv(reply, `${csv.fileName}-${subdomain}.csv`, auditLogCsv(deps.db, filter, order));
  };

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
      auditLogPageHandler(deps, { path: '/api/v2/audit_logs.json', key: 'audit_logs' }),
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
      auditLogCsvHandler(deps, { fileName: 'audit-log' }),
    );
    done();
  };
}
