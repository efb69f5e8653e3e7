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
 * Staff sign-in failures count against the email and the client address,
 * like customers' (`login-throttle.service.ts`: a few free failures, then
 * doubling locks up to 15 minutes), in counters kept under the platform
 * account so they never mix with a customer account's.
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

export async function recordStaffSignInFailure(deps: ThrottleDeps, throttle: StaffThrottle): Promise<void> {
  await recordLoginFailure(deps, PLATFORM_ACCOUNT_ID, throttle.subjects);
}

/** After a successful sign-in the email's counter starts again; the address's does not. */
export async function clearStaffSignInThrottle(deps: ThrottleDeps, throttle: StaffThrottle): Promise<void> {
  const email = throttle.subjects.find((subject) => subject.kind === 'email');
  if (email !== undefined) await clearLoginThrottle(deps, PLATFORM_ACCOUNT_ID, email);
}
