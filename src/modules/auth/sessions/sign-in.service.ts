import type { Queryable } from '../../../db/database.js';
import { reserveIds } from '../../../db/sequences.js';
import type { Account, User } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { enqueueMessage } from '../../courier/outbox.service.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { findUserStandingByEmail, findUserStandingById } from '../../users/users.repo.js';
import { verifyPasswordSignIn } from '../passwords/password-sign-in.service.js';
import { changePassword } from '../passwords/passwords.service.js';
import { hashSecretToken, issueSecretToken } from '../secret-tokens.js';
import { consumeChangeStep, findUsableChangeStep, insertChangeStep, type ChangeStepRow } from './sessions.repo.js';
import { startSession, type StartedSession } from './sessions.service.js';

export const CHANGE_STEP_SECONDS = 10 * 60;
export const RESET_LINK_SECONDS = 60 * 60;

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export type SignInResult =
  | { status: 'signed_in'; user: User; session: StartedSession }
  | { status: 'password_change_required'; changeToken: string; expiresAt: string };

/** The one answer for every failed sign-in, whatever the cause: no enumeration. */
export const invalidCredentials = (): AppError =>
  new AppError(
    'InvalidCredentials',
    'The email or password is not right, or too many attempts were made; wait a little and try again. If your account uses single sign-on, sign in through your identity provider.',
  );

async function issueChangeStep(
  deps: ServiceDeps,
  account: Account,
  user: User,
  purpose: ChangeStepRow['purpose'],
  lifetimeSeconds: number,
) {
  const issued = issueSecretToken();
  const now = deps.clock.now();
  const step: ChangeStepRow = {
    account_id: account.id,
    id: await reserveIds(deps.db, 'password_change_steps', 1),
    user_id: user.id,
    purpose,
    token_hash: issued.hash,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + lifetimeSeconds * 1000).toISOString(),
    used_at: null,
  };
  await insertChangeStep(deps.db, step);
  return { token: issued.raw, step };
}

/**
 * Web sign-in with a password. A pending forced change yields no session but
 * a short-lived, single-use change step; only a new password that passes the
 * policy ends it (`completeForcedChange`).
 */
export async function signInWithPassword(
  deps: ServiceDeps,
  input: { account: Account; realm: string; email: string; password: string; client: ClientInfo },
): Promise<SignInResult> {
  const verification = await verifyPasswordSignIn(deps, {
    account: input.account,
    realm: input.realm,
    email: input.email,
    password: input.password,
    clientIp: input.client.ip,
    channel: 'web',
    userAgent: input.client.userAgent,
  });
  if (verification.outcome === 'refused') throw invalidCredentials();
  if (verification.outcome === 'must_change') {
    const { token, step } = await issueChangeStep(deps, input.account, verification.user, 'forced_change', CHANGE_STEP_SECONDS);
    return { status: 'password_change_required', changeToken: token, expiresAt: step.expires_at };
  }
  const session = await startSession(deps, { account: input.account, user: verification.user, ...input.client, method: 'password' });
  return { status: 'signed_in', user: verification.user, session };
}

const stepRefused = (what: string): AppError =>
  new AppError('InvalidToken', `This ${what} has expired or was already used. Start again from the sign-in page.`);

async function userOfStep(deps: ServiceDeps, account: Account, step: ChangeStepRow | undefined, what: string): Promise<User> {
  if (step === undefined || Number(step.account_id) !== account.id) throw stepRefused(what);
  const standing = await findUserStandingById(deps.db, account.id, Number(step.user_id));
  if (!mayAuthenticate(standing)) throw stepRefused(what);
  return standing.user;
}

/** Spends the step that allows a change, in the change's own transaction: of two racing requests, one changes the password. */
const spendStep =
  (tokenHash: string, purpose: ChangeStepRow['purpose'], what: string, clock: ServiceDeps['clock']) =>
  async (tx: Queryable): Promise<void> => {
    if ((await consumeChangeStep(tx, tokenHash, purpose, clock.now().toISOString())) === undefined) throw stepRefused(what);
  };

/**
 * Ends a forced-change step: the new password must pass the policy (a refusal
 * leaves the step usable until it expires); then, with the password, the
 * step and every other one is spent and every session revoked
 * (`changePassword`), and a new session starts.
 */
export async function completeForcedChange(
  deps: ServiceDeps,
  input: { account: Account; changeToken: string; newPassword: string; client: ClientInfo },
): Promise<{ user: User; session: StartedSession }> {
  const tokenHash = hashSecretToken(input.changeToken);
  const now = deps.clock.now().toISOString();
  const user = await userOfStep(
    deps,
    input.account,
    await findUsableChangeStep(deps.db, tokenHash, 'forced_change', now),
    'password change step',
  );
  await changePassword(deps, {
    account: input.account,
    user,
    newPassword: input.newPassword,
    actor: { type: 'user', id: user.id },
    reason: 'forced',
    clientIp: input.client.ip,
    inTransaction: spendStep(tokenHash, 'forced_change', 'password change step', deps.clock),
  });
  const session = await startSession(deps, { account: input.account, user, ...input.client, method: 'forced_password_change' });
  return { user, session };
}

/**
 * Starts a password reset: when the address belongs to an active password
 * user, a single-use link valid one hour goes to the outbox. The caller
 * answers the same whether or not that happened.
 */
export async function requestPasswordReset(
  deps: ServiceDeps,
  input: { account: Account; realm: string; email: string; resetPageUrl: string },
): Promise<void> {
  const standing = await findUserStandingByEmail(deps.db, input.account.id, input.realm, input.email);
  if (!mayAuthenticate(standing) || standing.user.sso === 1) return;
  const { user } = standing;
  await deps.db.transaction().execute(async (tx) => {
    const { token, step } = await issueChangeStep({ ...deps, db: tx }, input.account, user, 'reset', RESET_LINK_SECONDS);
    await enqueueMessage(deps, tx, {
      accountId: input.account.id,
      purpose: 'password_reset',
      recipient: user.email,
      locale: user.locale ?? input.account.locale,
      idempotencyKey: `password_reset:${step.id}`,
      data: {
        user_name: user.name,
        account_name: input.account.name,
        reset_url: `${input.resetPageUrl}?token=${token}`,
        expires_at: step.expires_at,
      },
    });
    await recordAudit(tx, deps, {
      accountId: input.account.id,
      actor: { type: 'system' },
      action: 'password.reset_requested',
      target: { type: 'user', id: user.id },
    });
  });
}

/** Completes a reset: policy-checked new password; with it, the link and every other one spent and every session revoked (`changePassword`). */
export async function completePasswordReset(
  deps: ServiceDeps,
  input: { account: Account; token: string; newPassword: string; clientIp: string | null },
): Promise<void> {
  const tokenHash = hashSecretToken(input.token);
  const user = await userOfStep(
    deps,
    input.account,
    await findUsableChangeStep(deps.db, tokenHash, 'reset', deps.clock.now().toISOString()),
    'reset link',
  );
  await changePassword(deps, {
    account: input.account,
    user,
    newPassword: input.newPassword,
    actor: { type: 'user', id: user.id },
    reason: 'reset',
    clientIp: input.clientIp,
    inTransaction: spendStep(tokenHash, 'reset', 'reset link', deps.clock),
  });
}
