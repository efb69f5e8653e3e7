import type { Selectable } from 'kysely';
import type { Queryable } from '../../../db/database.js';
import type { Account, PasswordCredentialsTable, User } from '../../../db/schema.js';
import { reserveIds } from '../../../db/sequences.js';
import { AppError } from '../../../errors.js';
import { recordAudit, type Actor } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { getCredentialForVerification } from '../../users/users.repo.js';
import { checkLoginThrottle, loginThrottleSubjects, recordLoginFailure } from '../throttle/login-throttle.service.js';
import { endSessionsAndPasswordSteps } from '../sessions/sessions.repo.js';
import { keepExposedHashesBeforeReplacing } from '../exposed-passwords/exposed-passwords.service.js';
import { throughPasswordGate, type Hashing } from './password-gate.js';
import { hashPassword, verifyAgainstDummy, verifyStoredPassword, wrapLegacyHash } from './password-hashing.js';
import { assertPasswordAllowed, PASSWORD_POLICY } from './password-policy.js';
import {
  appendPasswordHistory,
  PASSWORD_HISTORY_SEQUENCE,
  readPasswordHistoryForVerification,
  setNewPassword,
  type CredentialKey,
} from './passwords.repo.js';

/** What the password services need of the application's dependencies. */
export type PasswordServiceDeps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'config' | 'log' | 'signInEvents'>;
/** A stored password credential, as the services read it. */
export type Credential = Selectable<PasswordCredentialsTable>;

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
