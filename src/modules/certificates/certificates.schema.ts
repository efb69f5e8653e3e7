import { CertificateRecord, CertificateState, CERTIFICATE_STATES, effectiveState, parseHostnames } from './certificates.model.js';

/** The certificate as the API shows it. Never the private key; the chain is public but left to the file the customer holds. */
export interface CertificateView {
  id: number;
  url: string;
  state: CertificateState;
  hostnames: string[];
  subject: string;
  issuer: string;
  serial_number: string;
  not_before: string;
  not_after: string;
  fingerprint_sha256: string;
  key_algorithm: 'rsa' | 'ec';
  key_bits: number;
  key_curve: string | null;
  source: 'upload' | 'import';
  uploaded_at: string;
  activated_at: string | null;
  superseded_at: string | null;
  superseded_by: number | null;
  revoked_at: string | null;
}

export function presentCertificate(row: CertificateRecord, baseUrl: string, now: Date): CertificateView {
  return {
    id: Number(row.id),
    url: `${baseUrl}/api/v2/certificates/${row.id}.json`,
    state: effectiveState(row, now),
    hostnames: parseHostnames(row.hostnames),
    subject: row.subject,
    issuer: row.issuer,
    serial_number: row.serial_number,
    not_before: row.not_before,
    not_after: row.not_after,
    fingerprint_sha256: row.fingerprint_sha256,
    key_algorithm: row.key_algorithm,
    key_bits: Number(row.key_bits),
    key_curve: row.key_curve,
    source: row.source,
    uploaded_at: row.uploaded_at,
    activated_at: row.activated_at,
    superseded_at: row.superseded_at,
    superseded_by: row.superseded_by === null ? null : Number(row.superseded_by),
    revoked_at: row.revoked_at,
  };
}

const nullableString = { type: ['string', 'null'] } as const;

export const certificateViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    url: { type: 'string' },
    state: { type: 'string', enum: CERTIFICATE_STATES },
    hostnames: { type: 'array', items: { type: 'string' } },
    subject: { type: 'string' },
    issuer: { type: 'string' },
    serial_number: { type: 'string' },
    not_before: { type: 'string' },
    not_after: { type: 'string' },
    fingerprint_sha256: { type: 'string' },
    key_algorithm: { type: 'string' },
    key_bits: { type: 'integer' },
    key_curve: nullableString,
    source: { type: 'string' },
    uploaded_at: { type: 'string' },
    activated_at: nullableString,
    superseded_at: nullableString,
    superseded_by: { type: ['integer', 'null'] },
    revoked_at: nullableString,
  },
  required: ['id', 'url', 'state', 'hostnames', 'not_before', 'not_after', 'fingerprint_sha256', 'uploaded_at'],
} as const;

export interface UploadCertificateBody {
  certificate: { certificate_pem: string; private_key_pem: string };
}

/**
 * No `maxLength` here: an oversized PEM is a 422 naming the field and the
 * limit (`too_large`), like every other certificate refusal; the body limit
 * still bounds the request.
 */
export const uploadCertificateBodySchema = {
  type: 'object',
  required: ['certificate'],
  additionalProperties: false,
  properties: {
    certificate: {
      type: 'object',
      required: ['certificate_pem', 'private_key_pem'],
      additionalProperties: false,
      properties: { certificate_pem: { type: 'string' }, private_key_pem: { type: 'string' } },
    },
  },
} as const;
