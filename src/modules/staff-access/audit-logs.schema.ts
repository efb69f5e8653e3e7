import { paginationQuerySchema, type PaginationQuery } from '../../platform/http/pagination.js';

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

/** Zendesk's audit log object; `data` holds what the event recorded, `personal_data` what is kept apart from the hash chain. */
export interface AuditLogView {
  id: number;
  action: string;
  actor_id: number | string | null;
  actor_type: string;
  actor_name: string | null;
  source_type: string | null;
  source_id: number | string | null;
  created_at: string;
  data: Record<string, unknown>;
  personal_data?: unknown;
}

const idLike = { type: ['integer', 'string', 'null'] } as const;

export const auditLogViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    action: { type: 'string' },
    actor_id: idLike,
    actor_type: { type: 'string' },
    actor_name: { type: ['string', 'null'] },
    source_type: { type: ['string', 'null'] },
    source_id: idLike,
    created_at: { type: 'string' },
    data: { type: 'object', additionalProperties: true },
    personal_data: {},
  },
} as const;

export const auditLogPageSchema = {
  type: 'object',
  additionalProperties: true,
  properties: { audit_logs: { type: 'array', items: auditLogViewSchema } },
} as const;
