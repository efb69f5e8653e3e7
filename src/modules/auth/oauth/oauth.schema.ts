import { MAX_REDIRECT_URI_LENGTH, MAX_REDIRECT_URIS } from './redirect-uris.js';
import { storedScopes } from './scopes.js';
import { OauthClientRow, OauthTokenRow, ClientKind, redirectUrisOf } from './oauth.model.js';

/** Zendesk's OAuth client object. `secret` appears only when it was just generated. */
export interface OauthClientView {
  id: number;
  url: string;
  name: string;
  identifier: string;
  kind: ClientKind;
  redirect_uri: string[];
  secret?: string;
  created_at: string;
  updated_at: string;
  /** When the secret was last set (null for a public client): a secret set before an incident's cutoff should be regenerated. */
  secret_set_at: string | null;
}

export function presentClient(client: OauthClientRow, baseUrl: string, secret?: string): OauthClientView {
  return {
    id: Number(client.id),
    url: `${baseUrl}/api/v2/oauth/clients/${client.id}.json`,
    name: client.name,
    identifier: client.identifier,
    kind: client.kind,
    redirect_uri: redirectUrisOf(client),
    ...(secret === undefined ? {} : { secret }),
    created_at: client.created_at,
    updated_at: client.updated_at,
    secret_set_at: client.secret_set_at,
  };
}

/** Zendesk's OAuth token object. `token` and `refresh_token` appear only in the answer to its creation. */
export interface OauthTokenView {
  id: number;
  url: string;
  client_id: number;
  user_id: number;
  token?: string;
  refresh_token?: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  refresh_token_expires_at: string | null;
  used_at: string | null;
}

export function presentToken(row: OauthTokenRow, baseUrl: string, secrets?: { token: string; refreshToken: string }): OauthTokenView {
  return {
    id: Number(row.id),
    url: `${baseUrl}/api/v2/oauth/tokens/${row.id}.json`,
    client_id: Number(row.client_id),
    user_id: Number(row.user_id),
    ...(secrets === undefined ? {} : { token: secrets.token, refresh_token: secrets.refreshToken }),
    scopes: storedScopes(row.scopes),
    created_at: row.created_at,
    expires_at: row.expires_at,
    refresh_token_expires_at: row.refresh_expires_at,
    used_at: row.last_used_at,
  };
}

export const clientViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    url: { type: 'string' },
    name: { type: 'string' },
    identifier: { type: 'string' },
    kind: { type: 'string' },
    redirect_uri: { type: 'array', items: { type: 'string' } },
    secret: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    secret_set_at: { type: ['string', 'null'] },
  },
  required: ['id', 'url', 'name', 'identifier', 'kind', 'redirect_uri', 'created_at', 'updated_at', 'secret_set_at'],
} as const;

export const tokenViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    url: { type: 'string' },
    client_id: { type: 'integer' },
    user_id: { type: 'integer' },
    token: { type: 'string' },
    refresh_token: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    expires_at: { type: ['string', 'null'] },
    refresh_token_expires_at: { type: ['string', 'null'] },
    used_at: { type: ['string', 'null'] },
  },
  required: ['id', 'url', 'client_id', 'user_id', 'scopes', 'created_at', 'expires_at'],
} as const;

const clientName = { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' } as const;
/** Identifiers travel in URLs and forms: a conservative alphabet. */
const clientIdentifier = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const;
const redirectUris = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_REDIRECT_URIS,
  items: { type: 'string', minLength: 1, maxLength: MAX_REDIRECT_URI_LENGTH },
} as const;

export interface ClientInput {
  name: string;
  identifier: string;
  redirect_uri: string[];
  kind?: ClientKind;
}

export type ClientChanges = Partial<ClientInput>;

export const createClientBodySchema = {
  type: 'object',
  required: ['client'],
  additionalProperties: false,
  properties: {
    client: {
      type: 'object',
      required: ['name', 'identifier', 'redirect_uri'],
      additionalProperties: false,
      properties: {
        name: clientName,
        identifier: clientIdentifier,
        redirect_uri: redirectUris,
        kind: { type: 'string', enum: ['public', 'confidential'] },
      },
    },
  },
} as const;

export const updateClientBodySchema = {
  type: 'object',
  required: ['client'],
  additionalProperties: false,
  properties: {
    client: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: clientName,
        identifier: clientIdentifier,
        redirect_uri: redirectUris,
        kind: { type: 'string', enum: ['public', 'confidential'] },
      },
    },
  },
} as const;

export interface TokenInput {
  client_id: number;
  user_id?: number;
  scopes: string[];
}

export const createTokenBodySchema = {
  type: 'object',
  required: ['token'],
  additionalProperties: false,
  properties: {
    token: {
      type: 'object',
      required: ['client_id', 'scopes'],
      additionalProperties: false,
      properties: {
        client_id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        user_id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        scopes: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', maxLength: 16 } },
      },
    },
  },
} as const;

/**
 * Ids in paths and queries are digit strings rather than integers: Ajv's type
 * coercion turns "1e400" into Infinity and lets it through.
 */
