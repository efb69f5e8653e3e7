import type { Selectable } from 'kysely';
import type { ApiTokensTable } from '../../../db/schema.js';

export type ApiTokenRow = Selectable<ApiTokensTable>;

/** Zendesk's API token object. `token` appears only in the answer to its creation. */
export interface ApiTokenView {
  id: number;
  url: string;
  description: string;
  token?: string;
  token_hint: string;
  created_at: string;
  last_used_at: string | null;
}

export function presentApiToken(row: ApiTokenRow, baseUrl: string, rawToken?: string): ApiTokenView {
  return {
    id: Number(row.id),
    url: `${baseUrl}/api/v2/api_tokens/${row.id}.json`,
    description: row.description,
    ...(rawToken === undefined ? {} : { token: rawToken }),
    token_hint: row.token_hint,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
  };
}

export const apiTokenViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    url: { type: 'string' },
    description: { type: 'string' },
    token: { type: 'string' },
    token_hint: { type: 'string' },
    created_at: { type: 'string' },
    last_used_at: { type: ['string', 'null'] },
  },
  required: ['id', 'url', 'description', 'token_hint', 'created_at', 'last_used_at'],
} as const;

export interface CreateApiTokenBody {
  api_token: { description: string };
}

export const createApiTokenBodySchema = {
  type: 'object',
  required: ['api_token'],
  additionalProperties: false,
  properties: {
    api_token: {
      type: 'object',
      required: ['description'],
      additionalProperties: false,
      // A description is what lets an admin tell which integration to rotate after a breach.
      properties: { description: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' } },
    },
  },
} as const;
