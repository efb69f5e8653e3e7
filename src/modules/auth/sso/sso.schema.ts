/**
 * Request and response shapes of the SSO endpoints. The JWT shared secret is
 * write-only: it appears in the request schema and nowhere in a response
 * schema, so the serializer could not send it even by mistake.
 */

export interface JwtSettingsInput {
  enabled?: boolean;
  /** Write-only. `null` removes it (JWT must then be disabled). */
  shared_secret?: string | null;
  remote_login_url?: string | null;
}

export interface SamlSettingsInput {
  enabled?: boolean;
  idp_sso_url?: string | null;
  idp_entity_id?: string | null;
  /** PEM (or the bare base64 of IdP metadata). */
  idp_certificate?: string | null;
}

export interface SsoConfigInput {
  jwt?: JwtSettingsInput;
  saml?: SamlSettingsInput;
}

export interface SsoConfigView {
  jwt: {
    enabled: boolean;
    shared_secret_set: boolean;
    shared_secret_set_at: string | null;
    remote_login_url: string | null;
  };
  saml: {
    enabled: boolean;
    idp_sso_url: string | null;
    idp_entity_id: string | null;
    idp_certificate: string | null;
    idp_certificate_fingerprint: string | null;
    idp_certificate_expires_at: string | null;
    /** When the identity provider's URL or certificate was last set. */
    configured_at: string | null;
    /** What to enter in the identity provider: our entity id and ACS URL. */
    sp_entity_id: string;
    sp_acs_url: string;
  };
  updated_at: string | null;
}

/** Shortest accepted shared secret: HS256 wants a key of at least 256 bits. */
export const MIN_SHARED_SECRET_LENGTH = 32;

const url = { type: ['string', 'null'], minLength: 1, maxLength: 2048 } as const;
const nullableString = { type: ['string', 'null'] } as const;

export const ssoConfigBodySchema = {
  type: 'object',
  required: ['sso'],
  additionalProperties: false,
  properties: {
    sso: {
      type: 'object',
      additionalProperties: false,
      properties: {
        jwt: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean' },
            shared_secret: { type: ['string', 'null'], minLength: MIN_SHARED_SECRET_LENGTH, maxLength: 1024 },
            remote_login_url: url,
          },
        },
        saml: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean' },
            idp_sso_url: url,
            idp_entity_id: { type: ['string', 'null'], minLength: 1, maxLength: 1024 },
            idp_certificate: { type: ['string', 'null'], minLength: 1, maxLength: 20_000 },
          },
        },
      },
    },
  },
} as const;

export const ssoConfigViewSchema = {
  type: 'object',
  required: ['jwt', 'saml', 'updated_at'],
  additionalProperties: false,
  properties: {
    jwt: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        shared_secret_set: { type: 'boolean' },
        shared_secret_set_at: nullableString,
        remote_login_url: nullableString,
      },
    },
    saml: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        idp_sso_url: nullableString,
        idp_entity_id: nullableString,
        idp_certificate: nullableString,
        idp_certificate_fingerprint: nullableString,
        idp_certificate_expires_at: nullableString,
        configured_at: nullableString,
        sp_entity_id: { type: 'string' },
        sp_acs_url: { type: 'string' },
      },
    },
    updated_at: nullableString,
  },
} as const;

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, description: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
} as const;

/** `GET /access/jwt?jwt=...` or the same fields POSTed as a form. */
export const jwtSignInSchema = {
  type: 'object',
  required: ['jwt'],
  properties: {
    jwt: { type: 'string', minLength: 1, maxLength: 16_384 },
    return_to: { type: 'string', maxLength: 2048 },
  },
} as const;

export interface JwtSignInFields {
  jwt: string;
  return_to?: string;
}

/** The ACS form of the SAML HTTP-POST binding. */
export const samlAcsBodySchema = {
  type: 'object',
  required: ['SAMLResponse'],
  properties: {
    SAMLResponse: { type: 'string', minLength: 1, maxLength: 500_000 },
    RelayState: { type: 'string', maxLength: 2048 },
  },
} as const;

export interface SamlAcsFields {
  SAMLResponse: string;
  RelayState?: string;
}

export const returnToQuerySchema = {
  type: 'object',
  properties: { return_to: { type: 'string', maxLength: 2048 } },
} as const;
