import type { Account, User } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import type { SignInChannel, SignInOutcome } from '../../../platform/sign-in-events/sign-in-event-log.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { findUserStandingByEmail, getCredentialForVerification } from '../../users/users.repo.js';
import {
  checkLoginThrottle,
  clearLoginThrottle,
  loginThrottleSubjects,
  recordLoginFailure,
  type ThrottleSubject,
} from '../throttle/login-throttle.service.js';
import {
  EXPOSED_PASSWORD_REASON,
  keepExposedHashesBeforeReplacing,
  recogniseExposedPassword,
  recordExposedAttempt,
} from '../exposed-passwords/exposed-passwords.service.js';
import { throughPasswordGate, type Hashing } from './password-gate.js';
import { hashPassword, storedHashKind, verifyAgainstDummy, verifyStoredPassword } from './password-hashing.js';
import { recordLastLogin, replacePasswordHash, type CredentialKey } from './passwords.repo.js';
import type { Credential, PasswordServiceDeps } from './passwords.service.js';

/** A sign-in also watches for exposed passwords, whose alerts go through the job queue (without one, none is queued). */
export type PasswordSignInDeps = PasswordServiceDeps & Partial<Pick<ServiceDeps, 'jobs'>>;

export interface PasswordSignInInput {
  account: Account;
  realm: string;
  email: string;
  password: string;
  /** The client's address, for the per-address throttle; `null` when unknown. */
  clientIp: string | null;
  /** Where the password arrived and from what client, for the sign-in event. */
  channel: Extract<SignInChannel, 'web' | 'password_basic'>;
  userAgent: string | null;
}

/**
 * `ok`: signed in. `must_change`: the password is right but a new one must be
 * chosen first (no session). `refused`: anything else, deliberately without
 * saying which, so that nobody learns whether an email has an account. With
 * a right password, `apiUsedAt` is the credential's last recorded use on the
 * API's Basic auth, so that the API channel writes it only when it is stale,
 * and `apiRevokedAt` when a rotation campaign revoked this password's access
 * to the API's Basic auth (the web still takes it; a new password lifts it).
 */
export type PasswordSignInResult =
  | { outcome: 'ok'; user: User; apiUsedAt: string | null; apiRevokedAt: string | null }
  | { outcome: 'must_change'; user: User; apiUsedAt: string | null; apiRevokedAt: string | null }
  | { outcome: 'refused' };

const REFUSED = { outcome: 'refused' } as const;

/** The user and credential a password may sign in with; `undefined` for unknown, inactive, deleted or SSO-only users and users without one. */
async function findSignInCandidate(
  deps: PasswordServiceDeps,
  input: PasswordSignInInput,
): Promise<{ user: User; credential: Credential } | undefined> {
  const standing = await findUserStandingByEmail(deps.db, input.account.id, input.realm, input.email);
  if (!mayAuthenticate(standing) || standing.user.sso === 1) return undefined;
  const { user } = standing;
  const credential = await getCredentialForVerification(deps.db, input.account.id, user.id);
  return credential === undefined ? undefined : { user, credential };
}

/**
 * Verifies a password against the candidate's hash (a dummy one when there is
 * no candidate) and, when it is right and the hash is not current argon2id,
 * computes the replacement: one step of hash work.
 */
async function verifyAndRehash(
  candidate: { credential: Credential } | undefined,
  password: string,
): Promise<{ ok: boolean; upgradedHash: string | undefined }> {
  if (candidate === undefined) return { ok: await verifyAgainstDummy(password), upgradedHash: undefined };
  const verification = await verifyStoredPassword(candidate.credential.password_hash, password);
  return { ok: verification.ok, upgradedHash: verification.ok && verification.needsUpgrade ? await hashPassword(password) : undefined };
}

/** After a right password: store the upgraded hash if there is one, clear the pair's counter, note the login. */
async function completeSignIn(
  deps: PasswordServiceDeps,
  input: { user: User; credential: Credential; upgradedHash: string | undefined; subjects: readonly ThrottleSubject[] },
): Promise<PasswordSignInResult> {
  const { user, credential } = input;
  const key: CredentialKey = { accountId: Number(user.account_id), userId: Number(user.id) };
  const upgraded = input.upgradedHash;
  const mustChange = credential.must_change === 1;
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    await clearLoginThrottle({ db: tx, clock: deps.clock, keyring: deps.keyring }, key.accountId, input.subjects);
    // A flagged credential's exposed hash is kept before its upgrade replaces it (read again here: a flag may be newer).
    if (upgraded !== undefined) await keepExposedHashesBeforeReplacing(tx, deps, [key]);
    // A password changed since it was read keeps its new hash: the upgrade is simply skipped.
    if (upgraded !== undefined && (await replacePasswordHash(tx, key, credential.password_hash, upgraded, now))) {
      const from = storedHashKind(credential.password_hash);
      await recordAudit(tx, deps, {
        accountId: key.accountId,
        actor: { type: 'user', id: key.userId },
        action: 'password.upgraded',
        target: { type: 'user', id: key.userId },
        data: {
          from: from?.kind === 'argon2id' ? 'argon2id' : (from?.scheme ?? 'unknown'),
          wrapped: from?.kind === 'wrapped',
          to: 'argon2id',
        },
      });
    }
    if (!mustChange) await recordLastLogin(tx, key, now);
  });
  const apiUsedAt = credential.api_used_at;
  const apiRevokedAt = credential.api_revoked_at;
  return mustChange
    ? { outcome: 'must_change', user, apiUsedAt, apiRevokedAt }
    : { outcome: 'ok', user: { ...user, last_login_at: now }, apiUsedAt, apiRevokedAt };
}

/**
 * Checks an email and password for a sign-in (web or API), through the
 * password gate (per-address budget, hashing slots: `password-gate.ts`).
 * Every refusal by password costs the same: an unknown email, a user without
 * a password, an SSO-only or inactive user each spend a dummy argon2id
 * verification, like a wrong password. Failures count against the (email,
 * address) pair, the address, the email and the account (see
 * `login-throttle.service.ts`), for unknown emails too, so the throttle tells
 * nothing either. A locked pair or address is refused without hashing: the
 * lock is the client's own doing, so its speed tells it nothing new. A right
 * password on a hash that is not current argon2id is re-hashed (audit
 * `password.upgraded`); `last_login_at` moves only on `ok`; `must_change`
 * comes only after a right password.
 *
 * @example
 * const result = await verifyPasswordSignIn(deps, { account, realm: 'core', email, password, clientIp: request.ip });
 * if (result.outcome === 'refused') throw unauthenticated();
 */
export async function verifyPasswordSignIn(deps: PasswordSignInDeps, input: PasswordSignInInput): Promise<PasswordSignInResult> {
  const attempt = (outcome: SignInOutcome, reason: string | null, userId: number | null) =>
    deps.signInEvents.record({
      accountId: input.account.id,
      userId,
      channel: input.channel,
      outcome,
      reason,
      ip: input.clientIp,
      userAgent: input.userAgent,
      identifier: input.email,
    });
  try {
    return await throughPasswordGate(deps, input.clientIp, (hashing) => checkSignInPassword(deps, input, hashing, attempt));
  } catch (error) {
    if (error instanceof AppError && error.retryAfterSeconds !== undefined) attempt('failed', 'rate_limited', null);
    throw error;
  }
}

type RecordAttempt = (outcome: SignInOutcome, reason: string | null, userId: number | null) => void;

async function checkSignInPassword(
  deps: PasswordSignInDeps,
  input: PasswordSignInInput,
  hashing: Hashing,
  attempt: RecordAttempt,
): Promise<PasswordSignInResult> {
  const subjects = loginThrottleSubjects(input.email, input.clientIp);
  const accountId = input.account.id;
  // Locked even for the right password, from this address; the attempt does not count, so a lock never feeds itself.
  if ((await checkLoginThrottle(deps, accountId, subjects)).locked) {
    attempt('failed', 'locked', null);
    return REFUSED;
  }
  const candidate = await findSignInCandidate(deps, input);
  const verification = await hashing(() => verifyAndRehash(candidate, input.password));
  if (candidate === undefined || !verification.ok) {
    const exposedIncident = candidate === undefined ? undefined : await watchExposedPassword(deps, input, candidate, hashing);
    await recordLoginFailure(deps, accountId, subjects, candidate && { type: 'user', id: Number(candidate.user.id) });
    attempt(
      'failed',
      candidate === undefined ? 'unknown_user' : exposedIncident !== undefined ? EXPOSED_PASSWORD_REASON : 'wrong_password',
      candidate === undefined ? null : Number(candidate.user.id),
    );
    return REFUSED;
  }
  const result = await completeSignIn(deps, { ...candidate, upgradedHash: verification.upgradedHash, subjects });
  const userId = Number(candidate.user.id);
  // A campaign revoked this password on the API (hash-strength tiers): the authenticator refuses it.
  if (result.outcome === 'ok' && input.channel === 'password_basic' && result.apiRevokedAt !== null)
    attempt('failed', 'api_password_revoked', userId);
  else if (result.outcome === 'ok') attempt('succeeded', null, userId);
  // On the web, a pending change leads on to choosing a new password; on the API it is a refusal.
  else attempt(input.channel === 'web' ? 'succeeded' : 'failed', 'password_change_required', userId);
  return result;
}

/**
 * The exposed password, watched: a wrong password for a user a rotation
 * flagged is checked against the exposed hash (one extra verification, in the
 * same gate; none for users never flagged), and any user's wrong password
 * against the fingerprints of exposed passwords proven so far (stuffing:
 * one HMAC, no hash). A match is recorded
 * (`recordExposedAttempt`: attempt, audit and security event, throttled
 * alert) and otherwise answered exactly like the wrong password it is.
 */
async function watchExposedPassword(
  deps: PasswordSignInDeps,
  input: PasswordSignInInput,
  candidate: { user: User; credential: Credential },
  hashing: Hashing,
): Promise<number | undefined> {
  const accountId = input.account.id;
  const userId = Number(candidate.user.id);
  const match = await recogniseExposedPassword(deps, {
    accountId,
    userId,
    liveHash: candidate.credential.password_hash,
    password: input.password,
    hashing,
  });
  if (match === undefined) return undefined;
  const { incidentId, exposedUserId } = match;
  await recordExposedAttempt(deps, {
    accountId,
    userId,
    exposedUserId,
    incidentId,
    channel: input.channel,
    ip: input.clientIp,
    userAgent: input.userAgent,
  });
  return incidentId;
}
