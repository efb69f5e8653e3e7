import { recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import { tuneForBatchStatements } from '../../db/database.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { HASH_TIERS, type HashTier, type HashTierCounts } from '../auth/passwords/hash-strength.js';
import { keepHashesOfCredentialsLeavingAnotherIncident } from '../auth/exposed-passwords/exposed-passwords.service.js';
import { finishIfComplete } from './campaign-events.js';
import type { CampaignRow } from './campaigns.repo.js';
import type { FlaggedCredential } from '../auth/exposed-passwords/exposed-passwords.repo.js';
import {
  batchExceptions,
  countUnflaggedTargets,
  flagBatchCredentials,
  markBatchFlagged,
  openBatch,
  revokeBatchSessions,
  settleChangedTargets,
  type BatchException,
} from './rotation-batch.repo.js';
import { enqueuePendingBatches } from './rotation-batch.job.js';
import { parseHashTiers } from './scope.service.js';

/*
 * A running campaign's batches: each flags its targets in one transaction
 * (`applyCampaignBatch`, run by the `campaign.rotation-batch` job); the
 * campaign's own transitions are in campaigns.service.ts and campaign-start.service.ts.
 */

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs'>;
type Tx = Deps['db'];

const SESSION_REVOKED_REASON = 'password_rotation';

/** Targets of the tiers up to and including `tier`, weakest first: where a `weakest_first` campaign's batches of that tier end. */
function targetsThrough(byTier: HashTierCounts, tier: HashTier): number {
  return HASH_TIERS.slice(0, HASH_TIERS.indexOf(tier) + 1).reduce((sum, each) => sum + byTier[each], 0);
}

/**
 * A `weakest_first` campaign queues one tier's batches at a time: when this
 * batch was the last of its tier (every target of that tier and the weaker
 * ones settled: `done` reaches their total), the next tier's pending batches
 * are queued, in the batch's transaction.
 */
async function queueNextTier(tx: Tx, jobs: Deps['jobs'], campaign: CampaignRow): Promise<void> {
  const byTier = parseHashTiers(campaign.targets_by_tier);
  if (campaign.batch_order !== 'weakest_first' || byTier === null) return;
  const done = Number(campaign.done);
  if (done >= Number(campaign.total)) return;
  if (HASH_TIERS.some((tier) => targetsThrough(byTier, tier) === done)) await enqueuePendingBatches(jobs, tx, campaign);
}

/** The batch's targets whose credential another incident flagged: the flag the batch takes over, with the hash it holds. */
function takenOverFlags(exceptions: readonly BatchException[]): FlaggedCredential[] {
  return exceptions.flatMap((target) =>
    target.other_incident_id === null || target.password_hash === null
      ? []
      : [
          {
            account_id: target.account_id,
            user_id: target.user_id,
            incident_id: target.other_incident_id,
            password_hash: target.password_hash,
          },
        ],
  );
}

export type BatchOutcome =
  { applied: false } | { applied: true; users: number; credentials: number; sessions: number; changedBeforeRotation: number };

/**
 * Flags the batch's unflagged targets: first, in one UPDATE, those no
 * incident has flagged. Only when that leaves some of them (usually none)
 * does one read find the exceptions: targets that set a new password since
 * the freeze, settled as changed before rotation, and flags of another
 * incident taken over, whose exposed hash is kept; then one UPDATE flags the rest.
 */
async function flagBatch(
  tx: Tx,
  deps: Deps,
  campaign: CampaignRow,
  batch: number,
  now: string,
): Promise<{ credentials: number; changedBeforeRotation: number }> {
  const unflagged = await countUnflaggedTargets(tx, Number(campaign.id), batch);
  const plain = unflagged === 0 ? 0 : await flagBatchCredentials(tx, campaign, batch, 'plain');
  if (plain === unflagged) return { credentials: plain, changedBeforeRotation: 0 };
  const exceptions = await batchExceptions(tx, campaign, batch);
  // An announced rotation can leave most of a batch changed: settled by one statement over the batch, not by key.
  const changedBeforeRotation = exceptions.some((target) => target.changed) ? await settleChangedTargets(tx, campaign, batch, now) : 0;
  // A flagged user's live hash is the exposed one until it is replaced, which keeps it (exposed-passwords.service.ts);
  // only a flag of another incident about to be replaced keeps its hash now.
  await keepHashesOfCredentialsLeavingAnotherIncident(tx, deps, takenOverFlags(exceptions));
  const rest = await flagBatchCredentials(tx, campaign, batch, 'all');
  return { credentials: plain + rest, changedBeforeRotation };
}

/**
 * Applies one batch in one transaction: flags the batch's unflagged targets
 * (`flagBatch`), revokes their sessions (one UPDATE, when the campaign says
 * so), marks them flagged, counts progress and writes one audit event per
 * account. Idempotent: a second run finds nothing unflagged and changes
 * nothing; a campaign that is not running is left alone.
 */
export async function applyCampaignBatch(deps: Deps, campaignId: number, batch: number): Promise<BatchOutcome> {
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx): Promise<BatchOutcome> => {
    const campaign = await openBatch(tx, campaignId, batch);
    if (campaign === undefined) return { applied: false };
    await tuneForBatchStatements(tx);
    const { credentials, changedBeforeRotation } = await flagBatch(tx, deps, campaign, batch, now);
    const revoke = campaign.revoke_sessions === 1;
    const sessions = revoke ? await revokeBatchSessions(tx, campaignId, batch, now, SESSION_REVOKED_REASON) : 0;
    // Each statement above touched only targets still unflagged; none left means the batch ran already.
    const byAccount = await markBatchFlagged(tx, campaignId, batch, now);
    const users = byAccount.reduce((sum, account) => sum + account.users, 0);
    if (users === 0) {
      if (changedBeforeRotation === 0) return { applied: false };
      await queueNextTier(tx, deps.jobs, campaign);
      await finishIfComplete(tx, deps, campaign, now);
      return { applied: true, users: 0, credentials: 0, sessions: 0, changedBeforeRotation };
    }
    const actor: Actor = { type: 'system', id: `rotation_campaign:${campaignId}` };
    const events: AuditEventInput[] = byAccount.map((account) => ({
      accountId: account.accountId,
      actor,
      action: 'password.rotation_forced',
      target: { type: 'rotation_campaign', id: campaignId },
      data: { incident_id: Number(campaign.incident_id), batch, users: account.users, sessions_revoked: revoke },
    }));
    await recordAudit(tx, deps, ...events);
    await queueNextTier(tx, deps.jobs, campaign);
    await finishIfComplete(tx, deps, campaign, now);
    return { applied: true, users, credentials, sessions, changedBeforeRotation };
  });
}
