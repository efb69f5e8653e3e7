import type { ServiceDeps } from '../../../platform/service-deps.js';
import { recordPasswordApiUse, type CredentialKey } from './passwords.repo.js';

/**
 * A right password on the API's `email:password` Basic auth is recorded at
 * most once an hour per user: a busy integration costs one write an hour,
 * and an hour is fine enough for "used in the last 90 days".
 */
export const PASSWORD_API_USE_STEP_MS = 60 * 60 * 1000;

/** Notices count, and tell, the uses of the last 90 days. */
export const PASSWORD_API_RECENT_DAYS = 90;

/** The earliest use that still counts as recent at `now`. */
export function recentPasswordApiUseSince(now: Date): string {
  return new Date(now.getTime() - PASSWORD_API_RECENT_DAYS * 24 * 60 * 60 * 1000).toISOString();
}

/**
 * Records that a user's password was proven on the API's Basic auth, unless
 * the recorded use (`storedAt`, read with the credential) is less than a step
 * old: then nothing is written at all.
 *
 * @example
 * await notePasswordApiUse(deps, { accountId: 1, userId: 7 }, verification.apiUsedAt);
 */
export async function notePasswordApiUse(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  key: CredentialKey,
  storedAt: string | null,
): Promise<void> {
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - PASSWORD_API_USE_STEP_MS).toISOString();
  if (storedAt !== null && storedAt >= staleBefore) return;
  await recordPasswordApiUse(deps.db, key, now.toISOString(), staleBefore);
}
