import type { FastifyInstance } from 'fastify';
import { errorResponses, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal, requireRole } from '../auth/principal.js';
import { securityIncidentsForAccount } from './customer-view.service.js';
import { renderEvidenceHtml } from './evidence.html.js';
import { buildEvidence } from './evidence.service.js';

const tags = ['security'];
const openObject = { type: 'object', additionalProperties: true } as const;

const actionItemSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string' },
    installation_id: { type: 'integer' },
    app_name: { type: 'string' },
    installed_at: { type: 'string' },
    stale_fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, set_at: { type: 'string' } } } },
    certificate_id: { type: 'integer' },
    hostnames: { type: 'array', items: { type: 'string' } },
    uploaded_at: { type: 'string' },
    not_after: { type: 'string' },
  },
} as const;

const accountIncidentSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    title: { type: 'string' },
    state: { type: 'string' },
    became_aware_at: { type: 'string' },
    affected: { type: 'boolean' },
    categories: { type: 'array', items: { type: 'string' } },
    people: { type: 'object', properties: { total: { type: 'integer' }, agents: { type: 'integer' }, end_users: { type: 'integer' } } },
    records: { type: 'object', additionalProperties: { type: 'integer' } },
    action_items: { type: 'array', items: actionItemSchema },
    rotation: {
      type: ['object', 'null'],
      properties: { targets: { type: 'integer' }, changed: { type: 'integer' }, remaining: { type: 'integer' } },
    },
  },
} as const;

const securityIncidentsSchema = {
  type: 'object',
  properties: {
    incidents: { type: 'array', items: accountIncidentSchema },
    affected: { type: 'boolean' },
    description: { type: 'string' },
  },
} as const;

const evidenceSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    article: { type: 'string' },
    generated_at: { type: 'string' },
    controller: openObject,
    incident: openObject,
    nature: openObject,
    people: openObject,
    records: openObject,
    contact_points: openObject,
    likely_consequences: { type: 'array', items: openObject },
    measures_taken: openObject,
    measures_proposed: { type: 'array', items: actionItemSchema },
    timeline: { type: 'array', items: openObject },
  },
} as const;

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
          response: { 200: securityIncidentsSchema, ...errorResponses },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        return securityIncidentsForAccount(deps, principal.account.id);
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
          response: { 200: evidenceSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        const evidence = await buildEvidence(deps, Number(request.params.id), principal.account.subdomain);
        if (request.query.format !== 'html') return evidence;
        return reply.type('text/html; charset=utf-8').send(renderEvidenceHtml(evidence));
      },
    );
    done();
  };
}
