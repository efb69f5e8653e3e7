import type { FastifyInstance } from 'fastify';
import { errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal, requireRole } from '../accounts/principal.js';
import { securityIncidentsForAccount } from './customer-view.service.js';
import { renderEvidenceHtml } from './evidence.html.js';
import { buildEvidence } from './evidence.service.js';
import { presentSecurityIncidents, securityIncidentsWireSchema } from './customer-view.schema.js';
import { evidenceWireSchema, presentEvidence } from './incidents-ops.schema.js';

const tags = ['security'];

interface EvidenceQuery {
  format?: 'json' | 'html';
}

/**
 * The account admin's view of security incidents: whether the account is
 * affected and its to-do list, and per incident the Article 33 evidence (JSON,
 * or a printable page with `?format=html`). Read-only; other accounts' data
 * is never read, and an incident that does not affect the account is a 404.
 */
export function customerViewRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/api/v2/security/incidents',
      {
        schema: {
          tags,
          summary: 'Whether the account is affected by a security incident, how, and what it must do',
          response: { 200: securityIncidentsWireSchema, ...errorResponses },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        return presentSecurityIncidents(await securityIncidentsForAccount(deps, principal.account.id));
      },
    );

    app.get<{ Params: IdParams; Querystring: EvidenceQuery }>(
      '/api/v2/security/incidents/:id/evidence',
      {
        schema: {
          tags,
          summary: 'The facts for the account’s GDPR Article 33 notification of one incident (JSON, or HTML with format=html)',
          params: idParamsSchema,
          querystring: { type: 'object', properties: { format: { type: 'string', enum: ['json', 'html'] } } },
          response: { 200: evidenceWireSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        const evidence = await buildEvidence(deps, Number(request.params.id), principal.account.subdomain);
        if (request.query.format !== 'html') return presentEvidence(evidence);
        return reply.type('text/html; charset=utf-8').send(renderEvidenceHtml(evidence));
      },
    );
    done();
  };
}
