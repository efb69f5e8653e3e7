import type { Queryable } from '../../db/database.js';
import { recordAudit, type Actor, type AuditEventInput, type AuditWriter } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { findAccountBySubdomain } from '../accounts/accounts.repo.js';
import { campaignTargetsByAccount, scopeVersionAccountIds } from './staff-work.repo.js';

/**
 * What a member of the vendor's staff did on a customer's account, as the
 * customer reads it: `staff.read` or `staff.write` on the account's own audit
 * chain, with the staff actor, what was touched (`what`, the target) and
 * details. Grant-gated support work and operators' incident work (which needs
 * no grant) are recorded alike.
 */
export interface StaffWork {
  kind: 'read' | 'write';
  /** A stable name of the operation: `users.list`, `user.suspend`, `incident.scope`, ... */
  what: string;
  target?: { type: string; id: string | number };
  details?: Record<string, unknown>;
  /** Free text about a user (a reason typed by staff), kept outside the hashed data so erasing the user removes it. */
  personal?: AuditEventInput['personal'];
}

export const STAFF_WORK_ACTIONS = ['staff.read', 'staff.write'] as const;

/** Vendor-side actors whose work on an account the customer is shown: staff over HTTP, operators at the CLI. */
const isVendorActor = (actor: Actor): boolean => actor.type === 'staff' || actor.type === 'cli';

export function staffWorkEvent(accountId: number, actor: Actor, work: StaffWork): AuditEventInput {
  return {
    accountId,
    actor,
    action: `staff.${work.kind}`,
    ...(work.target === undefined ? {} : { target: work.target }),
    data: { what: work.what, ...work.details },
    ...(work.personal === undefined ? {} : { personal: work.personal }),
  };
}

/** Records one piece of staff work on each of `accountIds`' chains, in the caller's transaction. */
export async function recordStaffWork(db: Queryable, writer: AuditWriter, actor: Actor, accountIds: readonly number[], work: StaffWork) {
  if (accountIds.length === 0) return;
  await recordAudit(db, writer, ...accountIds.map((accountId) => staffWorkEvent(accountId, actor, work)));
}

/**
 * After an operator's exposure change computed a new scope version: a
 * `staff.read` on every account in it (the scope counts their people and records).
 */
export async function recordScopeWork(
  db: Queryable,
  writer: AuditWriter,
  actor: Actor,
  incidentId: number,
  version: number,
): Promise<void> {
  if (!isVendorActor(actor)) return;
  const accountIds = await scopeVersionAccountIds(db, incidentId, version);
  await recordStaffWork(db, writer, actor, accountIds, {
    kind: 'read',
    what: 'incident.scope',
    target: { type: 'incident', id: incidentId },
    details: { scope_version: version },
  });
}

/**
 * After an operator started, paused, resumed or cancelled a rotation
 * campaign: a `staff.write` on every account with targets in it, with its count.
 */
export async function recordCampaignWork(
  db: Queryable,
  writer: AuditWriter,
  actor: Actor,
  campaignId: number,
  verb: string,
): Promise<void> {
  if (!isVendorActor(actor)) return;
  const accounts = await campaignTargetsByAccount(db, campaignId);
  if (accounts.length === 0) return;
  await recordAudit(
    db,
    writer,
    ...accounts.map(({ accountId, users }) =>
      staffWorkEvent(accountId, actor, {
        kind: 'write',
        what: `rotation_campaign.${verb}`,
        target: { type: 'rotation_campaign', id: campaignId },
        details: { users },
      }),
    ),
  );
}

/**
 * Records a read an operator made of one account's data outside a
 * transaction of its own (scope explanations, evidence), once it succeeded.
 */
export async function recordStaffWorkOnAccount(
  deps: { db: Queryable; clock: Clock; keyring: Keyring },
  actor: Actor,
  subdomain: string,
  work: StaffWork,
): Promise<void> {
  if (!isVendorActor(actor)) return;
  await deps.db.transaction().execute(async (tx) => {
    const account = await findAccountBySubdomain(tx, subdomain.toLowerCase());
    if (account !== undefined) await recordStaffWork(tx, deps, actor, [account.id], work);
  });
}

/** After an operator queued an incident's notices: a `staff.write` on every account of the scope version notified. */
export async function recordNoticeWork(
  db: Queryable,
  writer: AuditWriter,
  actor: Actor,
  incidentId: number,
  version: number,
  details: Record<string, unknown>,
): Promise<void> {
  if (!isVendorActor(actor)) return;
  const accountIds = await scopeVersionAccountIds(db, incidentId, version);
  await recordStaffWork(db, writer, actor, accountIds, {
    kind: 'write',
    what: 'incident.notified',
    target: { type: 'incident', id: incidentId },
    details: { scope_version: version, ...details },
  });
}
