import type { Selectable } from 'kysely';
import type { StaffAccessGrantsTable } from '../../db/schema.js';

export type StaffAccessGrantRow = Selectable<StaffAccessGrantsTable>;
export type GrantDuration = StaffAccessGrantsTable['duration'];

/** How long each duration lasts; `indefinite` lasts until revoked. Months and years are fixed lengths, so an expiry never depends on the calendar. */
export const GRANT_DURATION_MS: Record<Exclude<GrantDuration, 'indefinite'>, number> = {
  day: 24 * 60 * 60 * 1000,
  week: 7 * 24 * 60 * 60 * 1000,
  month: 30 * 24 * 60 * 60 * 1000,
  year: 365 * 24 * 60 * 60 * 1000,
};

export const GRANT_DURATIONS = ['day', 'week', 'month', 'year', 'indefinite'] as const satisfies readonly GrantDuration[];

/** Account statuses on which staff access is never granted (DESIGN.md). */
export const TRIAL_STATUSES: ReadonlySet<string> = new Set(['trial', 'trial_expired']);

export type GrantStatus = 'active' | 'expired' | 'revoked';

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

/** A grant's state at `now`: revoked wins over expired, whatever the order they came in. */
export function grantStatus(row: StaffAccessGrantRow, now: Date): GrantStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= now.toISOString()) return 'expired';
  return 'active';
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
