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

/** A grant's state at `now`: revoked wins over expired, whatever the order they came in. */
export function grantStatus(row: StaffAccessGrantRow, now: Date): GrantStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= now.toISOString()) return 'expired';
  return 'active';
}
