import type { Selectable } from 'kysely';
import type { Queryable } from '../../../db/database.js';
import type { Account, PasswordCredentialsTable, User } from '../../../db/schema.js';
import { reserveIds } from '../../../db/sequences.js';
import { AppError } from '../../../errors.js';
import { recordAudit, type Actor } from '../../../platform/audit/audit.service.js';
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
import { endSessionsAndPasswordSteps } from '../sessions/sessions.repo.js';
import {
  EXPOSED_PASSWORD_REASON,
  keepExposedHashesBeforeReplacing,
  recogniseExposedPassword,
  recordExposedAttempt,
} from '../exposed-passwords/exposed-passwords.service.js';
import { throughPasswordGate, type Hashing } from './password-gate.js';
import { hashPassword, storedHashKind, verifyAgainstDummy, verifyStoredPassword, wrapLegacyHash } from './password-hashing.js';
import { assertPasswordAllowed, PASSWORD_POLICY } from './password-policy.js';
import {
  appendPasswordHistory,
  PASSWORD_HISTORY_SEQUENCE,
  readPasswordHistoryForVerification,
  recordLastLogin,
  replacePasswordHash,
  setNewPassword,
  type CredentialKey,
} from './passwords.repo.js';

export type PasswordServiceDeps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'config' | 'log' | 'signInEvents'>;
/** A sign-in also watches for exposed passwords, whose alerts go through the job queue (without one, none is queued). */
export type PasswordSignInDeps = PasswordServiceDeps & Partial<Pick<ServiceDeps, 'jobs'>>;
type Credential = Selectable<PasswordCredentialsTable>;

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

export type PasswordChangeReason = 'self' | 'forced' | 'admin' | 'reset';

export interface ChangePasswordInput {
  account: Account;
  user: User;
  newPassword: string;
  actor: Actor;
  reason: PasswordChangeReason;
  /** Self-service: the password the user signs in with now, which must verify. */
  currentPassword?: string;
  /**
   * The address of the client whose request makes the change: its password
   * budget pays for the checks (`password-gate.ts`). Omitted only where no
   * remote client drives it (the CLI).
   */
  clientIp?: string | null;
  /**
   * Self-service from a web session: that session stays signed in. Every
   * other session of the user ends with the change, whatever the reason.
   */
  keepSessionId?: number | null;
  /** Runs first in the change's transaction (spending the reset link or change step that allowed it); throwing cancels the change. */
  inTransaction?: (tx: Queryable) => Promise<void>;
}

/** `sessions.revoked_reason` of the sessions a change ends. */
const SESSION_END_REASON: Record<PasswordChangeReason, string> = {
  self: 'password_changed',
  forced: 'password_changed',
  admin: 'password_set_by_admin',
  reset: 'password_reset',
};

export const ssoOnly = (): AppError =>
  new AppError(
    'PasswordNotAllowed',
    'This user signs in only through single sign-on (SSO), so no Riposte password can be set. ' +
      "Change the password at the company's identity provider, or turn off SSO-only for this user first.",
  );

const currentPasswordIncorrect = (): AppError =>
  new AppError(
    'CurrentPasswordIncorrect',
    'The current password is incorrect. Enter the password you sign in with now, or reset it if you forgot it.',
    {
      details: { previous_password: [{ rule: 'incorrect', description: 'Does not match the current password.' }] },
    },
  );

const tooManyAttempts = (retryAfterSeconds: number): AppError =>
  new AppError('TooManyAttempts', `Too many incorrect passwords for this user. Try again in ${retryAfterSeconds} seconds.`, {
    details: { retry_after_seconds: retryAfterSeconds },
    retryAfterSeconds,
  });

/** Self-service changes prove the current password, throttled like a sign-in (per email and address) so they are no guessing oracle. */
async function checkCurrentPassword(
  deps: PasswordServiceDeps,
  input: ChangePasswordInput,
  credential: Credential | undefined,
  currentPassword: string,
  hashing: Hashing,
): Promise<void> {
  const accountId = input.account.id;
  const subjects = loginThrottleSubjects(input.user.email, input.clientIp);
  const throttle = await checkLoginThrottle(deps, accountId, subjects);
  if (throttle.locked) throw tooManyAttempts(throttle.retryAfterSeconds);
  const verification = await hashing(async () =>
    credential === undefined
      ? { ok: await verifyAgainstDummy(currentPassword) }
      : verifyStoredPassword(credential.password_hash, currentPassword),
  );
  if (!verification.ok) {
    await recordLoginFailure(deps, accountId, subjects, { type: 'user', id: Number(input.user.id) });
    throw currentPasswordIncorrect();
  }
}

/** What goes into the history: the previous hash, wrapped in argon2id if it was legacy, so no weak hash lingers there. */
async function historyEntryFor(previousHash: string | undefined): Promise<string | undefined> {
  if (previousHash === undefined) return undefined;
  return (await wrapLegacyHash(previousHash)) ?? previousHash;
}

/**
 * Sets a user's new password, through the password gate (`password-gate.ts`:
 * the client's budget, then a hashing slot): checks the policy (including reuse of the
 * current password and the last `PASSWORD_POLICY.historySize`), hashes it
 * with argon2id, then in one transaction stores it (clearing any pending
 * forced change), appends the previous hash to the history (trimmed),
 * spends every outstanding reset link and change step and ends the user's
 * sessions (all but `keepSessionId` on a self-service change), and writes
 * the audit event `password.changed` with the reason. SSO-only users
 * cannot have one (422). With `currentPassword` (self-service) it must
 * verify first (422 `CurrentPasswordIncorrect`, 429 when throttled).
 *
 * @example
 * await changePassword(deps, { account, user, newPassword, actor: { type: 'user', id: user.id }, reason: 'self', currentPassword });
 */
export async function changePassword(deps: PasswordServiceDeps, input: ChangePasswordInput): Promise<{ passwordChangedAt: string }> {
  return throughPasswordGate(deps, input.clientIp ?? null, (hashing) => changePasswordAdmitted(deps, input, hashing));
}

async function changePasswordAdmitted(
  deps: PasswordServiceDeps,
  input: ChangePasswordInput,
  hashing: Hashing,
): Promise<{ passwordChangedAt: string }> {
  const { account, user } = input;
  if (user.sso === 1) throw ssoOnly();
  const key: CredentialKey = { accountId: account.id, userId: Number(user.id) };
  const credential = await getCredentialForVerification(deps.db, key.accountId, key.userId);
  if (input.currentPassword !== undefined) await checkCurrentPassword(deps, input, credential, input.currentPassword, hashing);

  const history = await readPasswordHistoryForVerification(deps.db, key, PASSWORD_POLICY.historySize);
  const previousHashes = credential === undefined ? history : [credential.password_hash, ...history];
  await hashing(() => assertPasswordAllowed(input.newPassword, { email: user.email, previousHashes }));

  const [passwordHash, historyHash] = await hashing(() =>
    Promise.all([hashPassword(input.newPassword), historyEntryFor(credential?.password_hash)]),
  );
  const changedAt = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    if (input.inTransaction !== undefined) await input.inTransaction(tx);
    // The hash an incident flagged is the exposed one: kept, sealed, before the new password replaces it. Read
    // again in this transaction, not from `credential`: a rotation batch may have flagged it since.
    if (credential !== undefined) await keepExposedHashesBeforeReplacing(tx, deps, [key]);
    if (!(await setNewPassword(tx, key, credential?.password_hash, { passwordHash, changedAt }))) {
      throw new AppError('PasswordChangeConflict', "The user's password changed while this change was being made. Try again.");
    }
    if (historyHash !== undefined) {
      const id = await reserveIds(tx, PASSWORD_HISTORY_SEQUENCE, 1);
      await appendPasswordHistory(tx, key, { id, passwordHash: historyHash, createdAt: changedAt }, PASSWORD_POLICY.historySize);
    }
    await recordAudit(tx, deps, {
      accountId: key.accountId,
      actor: input.actor,
      action: 'password.changed',
      target: { type: 'user', id: key.userId },
      data: { reason: input.reason },
    });
    await endWhatTheOldPasswordOpened(tx, deps, input, key, changedAt);
  });
  return { passwordChangedAt: changedAt };
}

/**
 * The credential lifecycle's one rule, in the change's transaction: a new
 * password spends every outstanding reset link and forced-change step of the
 * user, and ends their sessions (all but the current one on a self-service
 * change; all of them when an admin sets it, on a reset and a forced change).
 */
async function endWhatTheOldPasswordOpened(
  tx: Queryable,
  deps: PasswordServiceDeps,
  input: ChangePasswordInput,
  key: CredentialKey,
  now: string,
): Promise<void> {
  const keepSessionId = input.reason === 'self' ? (input.keepSessionId ?? null) : null;
  const ended = await endSessionsAndPasswordSteps(tx, key, { keepSessionId, now, reason: SESSION_END_REASON[input.reason] });
  if (ended.sessions > 0) {
    await recordAudit(tx, deps, {
      accountId: key.accountId,
      actor: input.actor,
      action: 'session.revoked',
      target: { type: 'user', id: key.userId },
      data: { sessions: ended.sessions, reason: SESSION_END_REASON[input.reason] },
    });
  }
}
