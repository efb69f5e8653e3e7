import type { Selectable } from 'kysely';
import type { Account, PasswordCredentialsTable, User } from '../../../db/schema.js';
import { reserveIds } from '../../../db/sequences.js';
import { AppError } from '../../../errors.js';
import { recordAudit, type Actor } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { findUserByEmail, getCredentialForVerification } from '../../users/users.repo.js';
import {
  checkLoginThrottle,
  clearLoginThrottle,
  loginThrottleSubjects,
  recordLoginFailure,
  type ThrottleSubject,
} from '../throttle/login-throttle.service.js';
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

export type PasswordServiceDeps = Pick<ServiceDeps, 'db' | 'clock'>;
type Credential = Selectable<PasswordCredentialsTable>;

export interface PasswordSignInInput {
  account: Account;
  realm: string;
  email: string;
  password: string;
  /** The client's address, for the per-address throttle; `null` when unknown. */
  clientIp: string | null;
}

/**
 * `ok`: signed in. `must_change`: the password is right but a new one must be
 * chosen first (no session). `refused`: anything else, deliberately without
 * saying which, so that nobody learns whether an email has an account.
 */
export type PasswordSignInResult = { outcome: 'ok'; user: User } | { outcome: 'must_change'; user: User } | { outcome: 'refused' };

const REFUSED = { outcome: 'refused' } as const;

/** The user and credential a password may sign in with; `undefined` for unknown, inactive or SSO-only users and users without one. */
async function findSignInCandidate(
  deps: PasswordServiceDeps,
  input: PasswordSignInInput,
): Promise<{ user: User; credential: Credential } | undefined> {
  const user = await findUserByEmail(deps.db, input.account.id, input.realm, input.email);
  if (user === undefined || user.active !== 1 || user.sso === 1) return undefined;
  const credential = await getCredentialForVerification(deps.db, input.account.id, user.id);
  return credential === undefined ? undefined : { user, credential };
}

/** After a right password: upgrade the hash if it is not current argon2id, clear the email's counter, note the login. */
async function completeSignIn(
  deps: PasswordServiceDeps,
  input: { user: User; credential: Credential; password: string; needsUpgrade: boolean; emailSubject: ThrottleSubject | undefined },
): Promise<PasswordSignInResult> {
  const { user, credential } = input;
  const key: CredentialKey = { accountId: Number(user.account_id), userId: Number(user.id) };
  const upgraded = input.needsUpgrade ? await hashPassword(input.password) : undefined;
  const mustChange = credential.must_change === 1;
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    if (input.emailSubject !== undefined) await clearLoginThrottle({ db: tx, clock: deps.clock }, key.accountId, input.emailSubject);
    // A password changed since it was read keeps its new hash: the upgrade is simply skipped.
    if (upgraded !== undefined && (await replacePasswordHash(tx, key, credential.password_hash, upgraded))) {
      const from = storedHashKind(credential.password_hash);
      await recordAudit(tx, deps.clock, {
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
  return mustChange ? { outcome: 'must_change', user } : { outcome: 'ok', user: { ...user, last_login_at: now } };
}

/**
 * Checks an email and password for a sign-in. Every refusal costs the same:
 * an unknown email, a user without a password, an SSO-only or inactive user
 * and a throttled attempt each spend a dummy argon2id verification, like a
 * wrong password. Failures count against the email and the client address
 * (see `login-throttle.service.ts`), for unknown emails too, so the throttle
 * tells nothing either. A right password on a hash that is not current
 * argon2id is re-hashed (audit `password.upgraded`); `last_login_at` moves
 * only on `ok`; `must_change` comes only after a right password.
 *
 * @example
 * const result = await verifyPasswordSignIn(deps, { account, realm: 'core', email, password, clientIp: request.ip });
 * if (result.outcome === 'refused') throw unauthenticated();
 */
export async function verifyPasswordSignIn(deps: PasswordServiceDeps, input: PasswordSignInInput): Promise<PasswordSignInResult> {
  const subjects = loginThrottleSubjects(input.email, input.clientIp);
  const accountId = input.account.id;
  const throttle = await checkLoginThrottle(deps, accountId, subjects);
  if (throttle.locked) {
    // Locked even for the right password; the attempt does not count, so a lock never feeds itself.
    await verifyAgainstDummy(input.password);
    return REFUSED;
  }
  const candidate = await findSignInCandidate(deps, input);
  const verification =
    candidate === undefined
      ? { ok: await verifyAgainstDummy(input.password), needsUpgrade: false }
      : await verifyStoredPassword(candidate.credential.password_hash, input.password);
  if (candidate === undefined || !verification.ok) {
    await recordLoginFailure(deps, accountId, subjects);
    return REFUSED;
  }
  return completeSignIn(deps, {
    ...candidate,
    password: input.password,
    needsUpgrade: verification.needsUpgrade,
    emailSubject: subjects.find((subject) => subject.kind === 'email'),
  });
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
}

const ssoOnly = (): AppError =>
  new AppError(
    'PasswordNotAllowed',
    422,
    'This user signs in only through single sign-on (SSO), so no Riposte password can be set. ' +
      "Change the password at the company's identity provider, or turn off SSO-only for this user first.",
  );

const currentPasswordIncorrect = (): AppError =>
  new AppError(
    'CurrentPasswordIncorrect',
    422,
    'The current password is incorrect. Enter the password you sign in with now, or reset it if you forgot it.',
    {
      details: { previous_password: [{ rule: 'incorrect', description: 'Does not match the current password.' }] },
    },
  );

const tooManyAttempts = (retryAfterSeconds: number): AppError =>
  new AppError('TooManyAttempts', 429, `Too many incorrect passwords for this user. Try again in ${retryAfterSeconds} seconds.`, {
    details: { retry_after_seconds: retryAfterSeconds },
  });

/** Self-service changes prove the current password, throttled like a sign-in (per email) so they are no guessing oracle. */
async function checkCurrentPassword(
  deps: PasswordServiceDeps,
  input: ChangePasswordInput,
  credential: Credential | undefined,
  currentPassword: string,
): Promise<void> {
  const accountId = input.account.id;
  const subjects = loginThrottleSubjects(input.user.email, null);
  const throttle = await checkLoginThrottle(deps, accountId, subjects);
  if (throttle.locked) throw tooManyAttempts(throttle.retryAfterSeconds);
  const verification =
    credential === undefined
      ? { ok: await verifyAgainstDummy(currentPassword) }
      : await verifyStoredPassword(credential.password_hash, currentPassword);
  if (!verification.ok) {
    await recordLoginFailure(deps, accountId, subjects);
    throw currentPasswordIncorrect();
  }
}

/** What goes into the history: the previous hash, wrapped in argon2id if it was legacy, so no weak hash lingers there. */
async function historyEntryFor(previousHash: string | undefined): Promise<string | undefined> {
  if (previousHash === undefined) return undefined;
  return (await wrapLegacyHash(previousHash)) ?? previousHash;
}

/**
 * Sets a user's new password: checks the policy (including reuse of the
 * current password and the last `PASSWORD_POLICY.historySize`), hashes it
 * with argon2id, then in one transaction stores it (clearing any pending
 * forced change), appends the previous hash to the history (trimmed), and
 * writes the audit event `password.changed` with the reason. SSO-only users
 * cannot have one (422). With `currentPassword` (self-service) it must
 * verify first (422 `CurrentPasswordIncorrect`, 429 when throttled).
 *
 * @example
 * await changePassword(deps, { account, user, newPassword, actor: { type: 'user', id: user.id }, reason: 'self', currentPassword });
 */
export async function changePassword(deps: PasswordServiceDeps, input: ChangePasswordInput): Promise<{ passwordChangedAt: string }> {
  const { account, user } = input;
  if (user.sso === 1) throw ssoOnly();
  const key: CredentialKey = { accountId: account.id, userId: Number(user.id) };
  const credential = await getCredentialForVerification(deps.db, key.accountId, key.userId);
  if (input.currentPassword !== undefined) await checkCurrentPassword(deps, input, credential, input.currentPassword);

  const history = await readPasswordHistoryForVerification(deps.db, key, PASSWORD_POLICY.historySize);
  const previousHashes = credential === undefined ? history : [credential.password_hash, ...history];
  await assertPasswordAllowed(input.newPassword, { email: user.email, previousHashes });

  const [passwordHash, historyHash] = await Promise.all([hashPassword(input.newPassword), historyEntryFor(credential?.password_hash)]);
  const changedAt = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    if (!(await setNewPassword(tx, key, credential?.password_hash, { passwordHash, changedAt }))) {
      throw new AppError('PasswordChangeConflict', 409, "The user's password changed while this change was being made. Try again.");
    }
    if (historyHash !== undefined) {
      const id = await reserveIds(tx, PASSWORD_HISTORY_SEQUENCE, 1);
      await appendPasswordHistory(tx, key, { id, passwordHash: historyHash, createdAt: changedAt }, PASSWORD_POLICY.historySize);
    }
    await recordAudit(tx, deps.clock, {
      accountId: key.accountId,
      actor: input.actor,
      action: 'password.changed',
      target: { type: 'user', id: key.userId },
      data: { reason: input.reason },
    });
  });
  return { passwordChangedAt: changedAt };
}
