import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { createStaffUser, type CreatedStaffUser } from '../../src/modules/staff/staff.service.js';
import { totpCodeAt } from '../../src/modules/staff/totp.js';
import type { FixedClock } from '../../src/platform/clock.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';

export interface StaffSession {
  cookie: string;
  csrf: string;
  /** Cookie and CSRF header, as a signed-in operator console sends on a write. */
  headers: { cookie: string; 'x-csrf-token': string };
}

const TOTP_STEP_MS = 30_000;

export function createTestStaff(deps: ServiceDeps, email: string, role: 'operator' | 'support'): Promise<CreatedStaffUser> {
  return createStaffUser(deps, { email, name: email.split('@')[0] ?? email, role, actor: { type: 'cli' } });
}

/** Signs a staff member in over HTTP with a real TOTP code; moves the clock one step on first, since a code works once. */
export async function staffSignIn(app: FastifyInstance, clock: FixedClock, staff: CreatedStaffUser): Promise<StaffSession> {
  clock.advance(TOTP_STEP_MS);
  const response = await app.inject({
    method: 'POST',
    url: '/ops/v1/session',
    payload: { email: staff.email, password: staff.password, totp: await totpCodeAt(staff.totpSecret, clock.now()) },
  });
  expect(response.statusCode).toBe(200);
  const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
  const csrf = response.json<{ csrf_token: string }>().csrf_token;
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}
