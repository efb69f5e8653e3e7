import type { Queryable } from '../../db/database.js';
import type { Account } from '../../db/schema.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import { recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import { enqueueMessage } from '../courier/outbox.service.js';
import { grantExpiryJob } from './grant-expiry.job.js';
import {
  claimExpiry,
  findGrant,
  GRANT_ID_SEQUENCE,
  insertGrant,
  listAdminRecipients,
  listGrants,
  revokeActiveGrant,
} from './staff-access.repo.js';
import { presentGrant, type GrantView } from './staff-access.schema.js';
import { type GrantDuration, type StaffAccessGrantRow, GRANT_DURATION_MS, GRANT_DURATIONS, TRIAL_STATUSES } from './staff-access.model.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs'>;
type Change = 'granted' | 'revoked' | 'expired';

const isDuration = (value: string): value is GrantDuration => (GRANT_DURATIONS as readonly string[]).includes(value);

/** Refuses trial accounts: staff access is never granted there (DESIGN.md). */
export function refuseTrialAccount(account: Account): void {
  if (TRIAL_STATUSES.has(account.status))
    throw new AppError(
      'StaffAccessUnavailable',
      `Staff access cannot be granted on a ${account.status === 'trial' ? 'trial' : 'expired trial'} account; it becomes available once the account is active.`,
    );
}

const actorOf = (principal: Principal): Actor => ({ type: 'user', id: principal.user.id });

/**
 * Audits a change on the account's chain and mails the owner and every active
 * admin (once each), in the caller's transaction.
 */
async function recordChange(
  deps: Deps,
  tx: Queryable,
  input: { account: Account; grant: StaffAccessGrantRow; change: Change; actor: Actor; changedBy: string | null; via?: string },
): Promise<void> {
  const { account, grant, change } = input;
  await recordAudit(tx, deps, {
    accountId: account.id,
    actor: input.actor,
    action: `staff_access.${change}`,
    target: { type: 'staff_access_grant', id: Number(grant.id) },
    data: { duration: grant.duration, expires_at: grant.expires_at, ...(input.via === undefined ? {} : { via: input.via }) },
  });
  const admins = await listAdminRecipients(tx, account.id);
  const recipients = new Map<string, string>([[account.owner_email.toLowerCase(), account.locale]]);
  for (const admin of admins) if (!recipients.has(admin.email)) recipients.set(admin.email, admin.locale ?? account.locale);
  for (const [recipient, locale] of recipients) {
    await enqueueMessage(deps, tx, {
      accountId: account.id,
      purpose: 'staff_access_changed',
      recipient,
      locale,
      idempotencyKey: `staff_access:${grant.id}:${change}:${recipient}`,
      data: {
        accountName: account.name,
        subdomain: account.subdomain,
        change,
        duration: grant.duration,
        expiresAt: grant.expires_at,
        changedBy: input.changedBy,
      },
    });
  }
}

/**
 * An admin grants the vendor's staff access to the account for a duration;
 * refused on trial accounts. A grant that can expire gets a job at its
 * expiry that audits and announces it (access itself ends at `expires_at`
 * whether or not that job has run).
 *
 * @example
 * const grant = await createGrant(deps, principal, 'week');
 */
export async function createGrant(deps: Deps, principal: Principal, duration: string): Promise<GrantView> {
  requireRole(principal, 'admin', 'write');
  refuseTrialAccount(principal.account);
  if (!isDuration(duration))
    throw invalid(`"${duration}" is not a grant duration; use one of ${GRANT_DURATIONS.join(', ')}.`, {
      duration: [`must be one of ${GRANT_DURATIONS.join(', ')}`],
    });
  const now = deps.clock.now();
  const expiresAt = duration === 'indefinite' ? null : new Date(now.getTime() + GRANT_DURATION_MS[duration]).toISOString();
  const account = principal.account;
  const row = await deps.db.transaction().execute(async (tx) => {
    const grant: StaffAccessGrantRow = {
      account_id: account.id,
      id: await reserveIds(tx, GRANT_ID_SEQUENCE, 1),
      duration,
      granted_by: principal.user.id,
      granted_at: now.toISOString(),
      expires_at: expiresAt,
      revoked_at: null,
      revoked_by: null,
      expiry_recorded_at: null,
    };
    await insertGrant(tx, grant);
    await recordChange(deps, tx, {
      account,
      grant,
      change: 'granted',
      actor: actorOf(principal),
      changedBy: `${principal.user.name} <${principal.user.email}>`,
      via: principal.via,
    });
    if (expiresAt !== null)
      await deps.jobs.enqueue(
        grantExpiryJob,
        { accountId: account.id, grantId: grant.id },
        { startAfter: new Date(expiresAt), singletonKey: `grant-${account.id}-${grant.id}`, transaction: tx },
      );
    return grant;
  });
  return presentGrant(row, deps.clock.now());
}

/** Every grant of the account, newest first, with its status now (admins). */
export async function listAccountGrants(deps: Pick<Deps, 'db' | 'clock'>, principal: Principal): Promise<GrantView[]> {
  requireRole(principal, 'admin');
  const now = deps.clock.now();
  return (await listGrants(deps.db, principal.account.id)).map((row) => presentGrant(row, now));
}

/** Revokes a grant at once (admins); revoking one that has already ended is a 422 saying so. */
export async function revokeGrant(deps: Deps, principal: Principal, grantId: number): Promise<GrantView> {
  requireRole(principal, 'admin', 'write');
  const account = principal.account;
  const now = deps.clock.now();
  const row = await deps.db.transaction().execute(async (tx) => {
    const existing = await findGrant(tx, account.id, grantId);
    if (existing === undefined) throw notFound('Staff access grant');
    const revoked = await revokeActiveGrant(tx, {
      accountId: account.id,
      id: grantId,
      now: now.toISOString(),
      revokedBy: principal.user.id,
    });
    if (revoked === undefined)
      throw new AppError(
        'GrantAlreadyEnded',
        `Staff access grant ${grantId} has already ${existing.revoked_at === null ? `expired (at ${existing.expires_at ?? ''})` : `been revoked (at ${existing.revoked_at})`}; staff have no access through it.`,
      );
    await recordChange(deps, tx, {
      account,
      grant: revoked,
      change: 'revoked',
      actor: actorOf(principal),
      changedBy: `${principal.user.name} <${principal.user.email}>`,
      via: principal.via,
    });
    return revoked;
  });
  return presentGrant(row, now);
}

/**
 * Audits and announces a grant's expiry once it has run out; does nothing for
 * a grant revoked first or already recorded, so the job may run any number of
 * times. Returns whether it recorded the expiry.
 */
export async function recordGrantExpiry(deps: Deps, account: Account, grantId: number): Promise<boolean> {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock.now().toISOString();
    const expired = await claimExpiry(tx, account.id, grantId, now);
    if (expired === undefined) {
      const grant = await findGrant(tx, account.id, grantId);
      // A job run a moment early (clocks differ between machines) fails, so the queue retries it later.
      if (grant?.revoked_at === null && grant.expiry_recorded_at === null && grant.expires_at !== null && grant.expires_at > now)
        throw new AppError(
          'GrantNotExpiredYet',
          `Staff access grant ${grantId} runs until ${grant.expires_at}; its expiry is recorded after that.`,
        );
      return false;
    }
    await recordChange(deps, tx, { account, grant: expired, change: 'expired', actor: { type: 'system' }, changedBy: null });
    return true;
  });
}
