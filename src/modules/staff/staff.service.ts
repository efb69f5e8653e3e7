import crypto from 'node:crypto';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import { decryptSecretConfidential, sealSecret, type SecretLocation } from '../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { throughPasswordGate, type Hashing } from '../auth/passwords/password-gate.js';
import { hashPassword, verifyAgainstDummy, verifyStoredPassword } from '../auth/passwords/password-hashing.js';
import { findPasswordPolicyViolations } from '../auth/passwords/password-policy.js';
import { hashSecretToken, issueSecretToken } from '../auth/secret-tokens.js';
import { csrfTokenFor } from '../auth/sessions/session-cookie.js';
import {
  claimTotpStep,
  findLiveStaffSession,
  findStaffUserByEmail,
  insertStaffSession,
  insertStaffUser,
  revokeStaffSession,
  type StaffUserRow,
} from './staff.repo.js';
import { checkStaffSignInThrottle, clearStaffSignInThrottle, recordStaffSignInFailure } from './staff-sign-in-throttle.js';
import { generateTotpSecret, totpUri, verifyTotpCode } from './totp.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

export const STAFF_ROLES = ['operator', 'support'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const STAFF_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A signed-in staff member, as the `/ops/v1` routes see them. */
export interface StaffPrincipal {
  sessionId: number;
  staffId: number;
  email: string;
  name: string;
  role: StaffRole;
}

export const staffActor = (staff: StaffPrincipal): Actor => ({ type: 'staff', id: staff.staffId });

const totpLocation = (staffId: number): SecretLocation => ({
  accountId: PLATFORM_ACCOUNT_ID,
  table: 'staff_users',
  column: 'totp_secret',
  rowId: staffId,
});

export interface CreatedStaffUser {
  id: number;
  email: string;
  name: string;
  role: StaffRole;
  /** Shown once; only its hash is kept. */
  password: string;
  /** Base32, for an authenticator app; stored sealed. */
  totpSecret: string;
  otpauthUri: string;
}

/**
 * A random password the policy accepts: a random draw can, rarely, contain the
 * email's local part ("sam" in 24 base64url characters), so draw again.
 */
export function generateStaffPassword(email: string, draw = () => crypto.randomBytes(18).toString('base64url')): string {
  for (;;) {
    const password = draw();
    if (findPasswordPolicyViolations(password, { email }).length === 0) return password;
  }
}

/**
 * Creates a staff member with a generated password and TOTP secret, both
 * returned once for the person to keep; audited on the platform chain.
 *
 * @example
 * const staff = await createStaffUser(deps, { email: 'ana@vendor.test', name: 'Ana', role: 'operator', actor: { type: 'cli' } });
 */
export async function createStaffUser(
  deps: Deps,
  input: { email: string; name: string; role: string; actor: Actor },
): Promise<CreatedStaffUser> {
  const email = input.email.trim().toLowerCase();
  const name = input.name.trim();
  if (!EMAIL.test(email)) throw invalid(`"${input.email}" is not an email address.`, { email: ['is not an email address'] });
  if (name === '') throw invalid('A staff member needs a name.', { name: ['is blank'] });
  if (!(STAFF_ROLES as readonly string[]).includes(input.role))
    throw invalid(`"${input.role}" is not a staff role; use ${STAFF_ROLES.join(' or ')}.`, { role: ['is not a staff role'] });
  const role = input.role as StaffRole;
  if ((await findStaffUserByEmail(deps.db, email)) !== undefined)
    throw new AppError('DuplicateValue', `A staff member with email ${email} already exists.`);

  const password = generateStaffPassword(email);
  const passwordHash = await hashPassword(password);
  const totpSecret = generateTotpSecret();
  const now = deps.clock.now().toISOString();
  const id = await deps.db.transaction().execute(async (tx) => {
    const staffId = await reserveIds(tx, 'staff_users', 1);
    const sealed = await sealSecret(tx, deps.keyring, deps.clock, { ...totpLocation(staffId), plaintext: totpSecret });
    const row: StaffUserRow = {
      id: staffId,
      email,
      name,
      role,
      password_hash: passwordHash,
      totp_secret_sealed: sealed,
      totp_last_step: null,
      created_at: now,
      disabled_at: null,
    };
    await insertStaffUser(tx, row);
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'staff.created',
      target: { type: 'staff_user', id: staffId },
      data: { role },
    });
    return staffId;
  });
  return { id, email, name, role, password, totpSecret, otpauthUri: totpUri(totpSecret, email) };
}

/** The one answer to every failed staff sign-in, so it tells nothing about which part was wrong. */
export const staffSignInFailed = (): AppError =>
  new AppError('Unauthorized', 'Sign-in failed: the email, password or authenticator code is wrong. Check them and try again.');

export interface StaffSignIn {
  token: string;
  csrfToken: string;
  expiresAt: string;
  staff: { id: number; email: string; name: string; role: StaffRole };
}

/** The TOTP step `code` is valid for (each step once), or null. */
async function totpStepOf(deps: Deps, staff: StaffUserRow, code: string): Promise<number | null> {
  const secret = await decryptSecretConfidential(deps.db, deps.keyring, { ...totpLocation(staff.id), sealed: staff.totp_secret_sealed });
  return verifyTotpCode(secret, code, deps.clock.now(), staff.totp_last_step === null ? null : Number(staff.totp_last_step));
}

async function checkCredentials(deps: Deps, staff: StaffUserRow, password: string, code: string, hashing: Hashing): Promise<boolean> {
  const passwordOk = (await hashing(() => verifyStoredPassword(staff.password_hash, password))).ok;
  const step = await totpStepOf(deps, staff, code);
  if (!passwordOk || step === null || staff.disabled_at !== null) return false;
  // Claimed only after the password matched, so a guessed code cannot burn the owner's.
  return claimTotpStep(deps.db, staff.id, step);
}

type SignInDeps = Deps & Pick<ServiceDeps, 'config' | 'log' | 'signInEvents'>;
type StaffSignInInput = { email: string; password: string; totp: string; clientIp?: string | null; userAgent?: string | null };

/**
 * Signs a staff member in with email, password and a TOTP code (one step of
 * drift either way, each code once), through the password gate (the client's
 * budget, a hashing slot). Every failure is the same 401, and an unknown
 * email costs the same hash verification as a known one.
 *
 * No lock keeps staff out (an attacker could otherwise keep operators out
 * during an incident): from a locked pair or address, a valid authenticator
 * code lets the password be checked, and the right one signs in. Without a
 * valid code, a locked attempt is refused without hashing and not counted.
 */
export async function signInStaff(deps: SignInDeps, input: StaffSignInInput): Promise<StaffSignIn> {
  // Staff events go on the platform's log, never an account's: customers do not see operators sign in.
  const attempt = (outcome: 'succeeded' | 'failed', reason: string | null, staffId: number | null) =>
    deps.signInEvents.record({
      accountId: PLATFORM_ACCOUNT_ID,
      userId: staffId,
      channel: 'staff',
      outcome,
      reason,
      ip: input.clientIp ?? null,
      userAgent: input.userAgent ?? null,
      identifier: input.email.trim(),
    });
  try {
    const signedIn = await throughPasswordGate(deps, input.clientIp ?? null, (hashing) => checkStaffSignIn(deps, input, hashing, attempt));
    attempt('succeeded', null, signedIn.staff.id);
    return signedIn;
  } catch (error) {
    if (error instanceof AppError && error.retryAfterSeconds !== undefined) attempt('failed', 'rate_limited', null);
    throw error;
  }
}

async function checkStaffSignIn(
  deps: SignInDeps,
  input: StaffSignInInput,
  hashing: Hashing,
  attempt: (outcome: 'failed', reason: string, staffId: number | null) => void,
): Promise<StaffSignIn> {
  const email = input.email.trim().toLowerCase();
  const throttle = await checkStaffSignInThrottle(deps, email, input.clientIp);
  const staff = await findStaffUserByEmail(deps.db, email);
  if (staff === undefined) {
    // Locked: refused at once, as a known email without a valid code is; else the cost of a wrong password.
    if (!throttle.locked) {
      await hashing(() => verifyAgainstDummy(input.password));
      await recordStaffSignInFailure(deps, throttle);
    }
    attempt('failed', throttle.locked ? 'locked' : 'unknown_user', null);
    throw staffSignInFailed();
  }
  if (throttle.locked && (await totpStepOf(deps, staff, input.totp)) === null) {
    attempt('failed', 'locked', staff.id);
    throw staffSignInFailed();
  }
  if (!(await checkCredentials(deps, staff, input.password, input.totp, hashing))) {
    await recordStaffSignInFailure(deps, throttle, staff.id);
    attempt('failed', staff.disabled_at === null ? 'wrong_password_or_code' : 'inactive_user', staff.id);
    throw staffSignInFailed();
  }
  await clearStaffSignInThrottle(deps, throttle);
  return startStaffSession(deps, staff);
}

async function startStaffSession(deps: Deps, staff: StaffUserRow): Promise<StaffSignIn> {
  const issued = issueSecretToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + STAFF_SESSION_TTL_MS).toISOString();
  await deps.db.transaction().execute(async (tx) => {
    const sessionId = await reserveIds(tx, 'staff_sessions', 1);
    await insertStaffSession(tx, {
      id: sessionId,
      staff_id: staff.id,
      token_hash: issued.hash,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      revoked_at: null,
    });
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: { type: 'staff', id: staff.id },
      action: 'staff.signed_in',
      target: { type: 'staff_session', id: sessionId },
    });
  });
  return {
    token: issued.raw,
    csrfToken: csrfTokenFor(issued.raw),
    expiresAt,
    staff: { id: staff.id, email: staff.email, name: staff.name, role: staff.role },
  };
}

/** The staff member behind a session cookie, or null when it is unknown, revoked, expired or its owner disabled. */
export async function findStaffPrincipal(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<StaffPrincipal | null> {
  const row = await findLiveStaffSession(deps.db, hashSecretToken(token), deps.clock.now().toISOString());
  if (row === undefined) return null;
  return { sessionId: row.session_id, staffId: Number(row.staff_id), email: row.email, name: row.name, role: row.role };
}

export async function signOutStaff(deps: Pick<Deps, 'db' | 'clock' | 'keyring'>, staff: StaffPrincipal): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    await revokeStaffSession(tx, staff.sessionId, now);
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: staffActor(staff),
      action: 'staff.signed_out',
      target: { type: 'staff_session', id: staff.sessionId },
    });
  });
}
