import { StaffAccessGrantRow, GrantDuration, GrantStatus, grantStatus } from './staff-access.model.js';

export interface GrantView {
  id: number;
  duration: GrantDuration;
  status: GrantStatus;
  granted_by: number;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: number | null;
}

export function presentGrant(row: StaffAccessGrantRow, now: Date): GrantView {
  return {
    id: Number(row.id),
    duration: row.duration,
    status: grantStatus(row, now),
    granted_by: Number(row.granted_by),
    created_at: row.granted_at,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    revoked_by: row.revoked_by === null ? null : Number(row.revoked_by),
  };
}

const nullableString = { type: ['string', 'null'] } as const;

export const grantViewSchema = {
  type: 'object',
  required: ['id', 'duration', 'status', 'granted_by', 'created_at', 'expires_at'],
  properties: {
    id: { type: 'integer' },
    duration: { type: 'string' },
    status: { type: 'string' },
    granted_by: { type: 'integer' },
    created_at: { type: 'string' },
    expires_at: nullableString,
    revoked_at: nullableString,
    revoked_by: { type: ['integer', 'null'] },
  },
} as const;

export const createGrantBodySchema = {
  type: 'object',
  required: ['grant'],
  additionalProperties: false,
  properties: {
    grant: {
      type: 'object',
      required: ['duration'],
      additionalProperties: false,
      // Checked by the service, whose 422 lists the durations on offer.
      properties: { duration: { type: 'string', maxLength: 32 } },
    },
  },
} as const;

export interface CreateGrantBody {
  grant: { duration: string };
}
