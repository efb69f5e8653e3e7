import { PLATFORM_ACCOUNT_ID } from '../../platform/audit/audit.service.js';
import {
  checkLoginThrottle,
  clearLoginThrottle,
  loginThrottleSubjects,
  recordLoginFailure,
  type ThrottleDeps,
  type ThrottleSubject,
} from '../auth/throttle/login-throttle.service.js';

/**
 * Staff sign-in failures count like customers' (`login-throttle.service.ts`:
 * the (email, address) pair and the address lock, the email and the whole
 * staff realm only count and alert), in counters kept under the platform
 * account so they never mix with a customer account's. A lock never keeps a
 * staff member out: the right password with a valid authenticator code gets
 * through it (`signInStaff`).
 */
export interface StaffThrottle {
  subjects: ThrottleSubject[];
  locked: boolean;
}

export async function checkStaffSignInThrottle(
  deps: ThrottleDeps,
  email: string,
  clientIp: string | null | undefined,
): Promise<StaffThrottle> {
  const subjects = loginThrottleSubjects(email, clientIp);
  const state = await checkLoginThrottle(deps, PLATFORM_ACCOUNT_ID, subjects);
  return { subjects, locked: state.locked };
}

/** `staffId`: the staff member the email belongs to, when any, for the alert a sustained attack raises. */
export async function recordStaffSignInFailure(deps: ThrottleDeps, throttle: StaffThrottle, staffId?: number): Promise<void> {
  await recordLoginFailure(
    deps,
    PLATFORM_ACCOUNT_ID,
    throttle.subjects,
    staffId === undefined ? undefined : { type: 'staff_user', id: staffId },
  );
}

/** After a successful sign-in the pair's counter starts again; the address's does not. */
export async function clearStaffSignInThrottle(deps: ThrottleDeps, throttle: StaffThrottle): Promise<void> {
  await clearLoginThrottle(deps, PLATFORM_ACCOUNT_ID, throttle.subjects);
}
