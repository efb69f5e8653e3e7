import { pageAnswerSchema, paginationQuerySchema, type PaginationQuery } from '../../platform/http/pagination.js';
import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';

/** Zendesk's audit log filters, plus `sort` (newest first by default). */
export interface AuditLogQuery extends PaginationQuery {
  'filter[action]'?: string;
  'filter[actor_type]'?: string;
  'filter[source_type]'?: string;
  'filter[source_id]'?: string;
  'filter[created_at][]'?: string[];
  sort?: 'created_at' | '-created_at';
}

const shortText = { type: 'string', minLength: 1, maxLength: 100 } as const;

export const auditLogFilterProperties = {
  'filter[action]': shortText,
  'filter[actor_type]': shortText,
  'filter[source_type]': shortText,
  'filter[source_id]': shortText,
  'filter[created_at][]': { type: 'array', maxItems: 2, items: { type: 'string', maxLength: 64 } },
  sort: { type: 'string', enum: ['created_at', '-created_at'] },
} as const;

export const auditLogQuerySchema = {
  type: 'object',
  properties: { ...paginationQuerySchema, ...auditLogFilterProperties },
} as const;

const idLike = { type: ['integer', 'string', 'null'] } as const;

/**
 * Zendesk's audit log object. `data` holds what the event recorded, which
 * differs by action (so it is the one open map); `personal_data`, what is
 * kept apart from the hash chain, is sent only to readers allowed to see it.
 */
export const auditLogViewSchema = closedObject(
  {
    id: wire.integer,
    action: wire.string,
    actor_id: idLike,
    actor_type: wire.string,
    actor_name: wire.nullableString,
    source_type: wire.nullableString,
    source_id: idLike,
    created_at: wire.string,
    data: { type: 'object', additionalProperties: true },
    personal_data: {},
  },
  ['personal_data'],
);
export type AuditLogView = FromSchema<typeof auditLogViewSchema>;

export const auditLogPageSchema = pageAnswerSchema('audit_logs', auditLogViewSchema);
export const staffAccessEventPageSchema = pageAnswerSchema('staff_access_events', auditLogViewSchema);
