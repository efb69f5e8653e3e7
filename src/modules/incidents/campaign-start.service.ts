import { tuneForSetStatements } from '../../db/database.js';
import { AppError, invalid } from '../../errors.js';
import { recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';
import type { HashTier } from '../auth/passwords/hash-strength.js';
import { finishIfComplete, recordTransition, SYSTEM_ACTOR, timelineEvent } from './campaign-events.js';
import { loadCampaign, viewOf, wrongState, campaignNotFound, type ApiPasswordRevocation, type CampaignView } from './campaign-view.js';
import {
  findCampaign,
  freezeTargets,
  frozenTargetsByTier,
  moveCampaign,
  revokeTargetsApiPasswords,
  type CampaignRow,
  type CampaignState,
} from './campaigns.repo.js';
import { findIncident, type IncidentRow } from './incidents.repo.js';
import { rotationAnnouncementJob, rotationAnnouncementKey } from './rotation-announcement.job.js';
import { enqueuePendingBatches } from './rotation-batch.job.js';
import { scheduledStartJob, scheduledStartKey } from './scheduled-start.job.js';
import { hashesAsOf } from './scope.service.js';
import type { Selector } from './selectors/selector.model.js';

/*
 * How a campaign leaves its draft: scheduled (targets frozen and told in
 * advance, started by a job at its time) or started (targets frozen, batches
 * queued, API passwords of the weakest tiers revoked when asked).
 */

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs'>;
type Tx = Deps['db'];

const REVOKED_TIERS: Record<ApiPasswordRevocation, readonly HashTier[]> = {
  none: [],
  critical: ['critical'],
  critical_and_high: ['critical', 'high'],
};

/** A scheduled start as given: an ISO 8601 time after `now`, normalised. */
export function futureStart(raw: string, now: Date): string {
  const startAt = normaliseTimestamp(raw);
  if (startAt === undefined)
    throw invalid('start_at must be an ISO 8601 time, such as 2026-12-04T09:00:00Z.', { start_at: ['is not an ISO-8601 time'] });
  if (Date.parse(startAt) <= now.getTime())
    throw invalid('start_at must be in the future; to start the campaign now, start it instead of scheduling it.', {
      start_at: ['is not in the future'],
    });
  return startAt;
}

/**
 * Freezes a campaign's targets into numbered batches, each with the tier its
 * hash was exposed with (from the incident's exposure time, `hashesAsOf`, up
 * to the campaign's cutoff); in the caller's transaction, on a campaign just
 * moved out of draft.
 */
async function freezeIntoBatches(tx: Tx, campaign: CampaignRow, to: CampaignState): Promise<CampaignRow> {
  const incident: Pick<IncidentRow, 'exposure_starts_at'> = (await findIncident(tx, Number(campaign.incident_id))) ?? {
    exposure_starts_at: null,
  };
  await tuneForSetStatements(tx);
  const total = await freezeTargets(tx, campaign, JSON.parse(campaign.selector) as Selector, hashesAsOf(incident, campaign.cutoff));
  const { byTier, batches } = await frozenTargetsByTier(tx, Number(campaign.id));
  const counted = await moveCampaign(tx, Number(campaign.id), [to], { total, batches, targets_by_tier: JSON.stringify(byTier) });
  if (counted === undefined) throw campaignNotFound(Number(campaign.id));
  return counted;
}

/**
 * Schedules a draft in the caller's transaction: freezes its targets now,
 * queues the advance notice to them and the start at `startAt`.
 */
export async function scheduleDraft(tx: Tx, deps: Deps, id: number, startAt: string, actor: Actor, now: string): Promise<CampaignRow> {
  const moved = await moveCampaign(tx, id, ['draft'], { state: 'scheduled', start_at: startAt, scheduled_at: now });
  if (moved === undefined) throw wrongState(await loadCampaign(tx, id), 'scheduled', ['draft']);
  const scheduled = await freezeIntoBatches(tx, moved, 'scheduled');
  await recordTransition(tx, deps, scheduled, {
    verb: 'scheduled',
    summary: `Rotation campaign ${id} scheduled to start at ${startAt}: ${scheduled.total} users told in advance`,
    data: { start_at: startAt, total: Number(scheduled.total), batches: Number(scheduled.batches) },
    actor,
    now,
  });
  await deps.jobs.enqueue(rotationAnnouncementJob, { campaignId: id }, { singletonKey: rotationAnnouncementKey(id), transaction: tx });
  await deps.jobs.enqueue(
    scheduledStartJob,
    { campaignId: id },
    { singletonKey: scheduledStartKey(id), startAfter: new Date(startAt), transaction: tx },
  );
  return scheduled;
}

/**
 * Schedules a draft to start at `startAt` (ISO 8601, in the future): its
 * targets are frozen now and told in advance (the user rotation notice says
 * when and why, and how to change the password before then); at `startAt`
 * the campaign starts by itself, once, whichever process runs the job.
 */
export async function scheduleCampaign(deps: Deps, id: number, startAt: string, actor: Actor = SYSTEM_ACTOR): Promise<CampaignView> {
  const at = futureStart(startAt, deps.clock.now());
  const now = deps.clock.now().toISOString();
  const row = await deps.db.transaction().execute((tx) => scheduleDraft(tx, deps, id, at, actor, now));
  return viewOf(row, deps.clock.now());
}

/**
 * Starts a draft or a scheduled campaign: freezes the target set of a draft
 * (one insert-select; a scheduled campaign's is frozen already), numbers its
 * batches and enqueues one job per batch, all in one transaction; the jobs
 * then flag the targets. A campaign with no target is done at once.
 */
export async function startCampaign(deps: Deps, id: number, actor: Actor = SYSTEM_ACTOR): Promise<CampaignView> {
  const now = deps.clock.now().toISOString();
  const row = await deps.db.transaction().execute(async (tx) => {
    const started = await moveCampaign(tx, id, ['draft', 'scheduled'], { state: 'running', started_at: now, bumpGeneration: true });
    if (started === undefined) throw wrongState(await loadCampaign(tx, id), 'started', ['draft', 'scheduled']);
    const counted = started.scheduled_at === null ? await freezeIntoBatches(tx, started, 'running') : started;
    const total = Number(counted.total);
    const batches = Number(counted.batches);
    const when = counted.start_at === null ? '' : ' as scheduled';
    await recordTransition(tx, deps, counted, {
      verb: 'started',
      summary: `Rotation campaign ${id} started${when}: ${total} users in ${batches} batches`,
      data: { total, batches, order: counted.batch_order },
      actor,
      now,
    });
    const revoked = await revokeApiPasswordsAtStart(tx, deps, counted, now);
    await enqueuePendingBatches(deps.jobs, tx, revoked);
    return finishIfComplete(tx, deps, revoked, now);
  });
  return viewOf(row, deps.clock.now());
}

/**
 * When the campaign asks for it, revokes the `email:password` API access of
 * its critical (and high) tier targets at once, in the start's transaction:
 * one UPDATE, one `password.api_access_revoked` audit event per account, a
 * timeline event, and the count kept on the campaign. They keep API tokens
 * and OAuth; their next password gives the access back. Runs once, since
 * the start does.
 */
async function revokeApiPasswordsAtStart(tx: Tx, deps: Deps, campaign: CampaignRow, now: string): Promise<CampaignRow> {
  const tiers = REVOKED_TIERS[campaign.revoke_api_passwords];
  if (tiers.length === 0) return campaign;
  const byAccount = await revokeTargetsApiPasswords(tx, campaign, tiers, now);
  const revoked = byAccount.reduce((sum, account) => sum + account.credentials, 0);
  const campaignId = Number(campaign.id);
  const actor: Actor = { type: 'system', id: `rotation_campaign:${campaignId}` };
  if (byAccount.length > 0)
    await recordAudit(
      tx,
      deps,
      ...byAccount.map((account): AuditEventInput => ({
        accountId: account.accountId,
        actor,
        action: 'password.api_access_revoked',
        target: { type: 'rotation_campaign', id: campaignId },
        data: { incident_id: Number(campaign.incident_id), tiers, users: account.credentials },
      })),
    );
  const moved = (await moveCampaign(tx, campaignId, ['running'], { api_passwords_revoked: revoked })) ?? campaign;
  await timelineEvent(
    tx,
    moved,
    'campaign_api_passwords_revoked',
    `Rotation campaign ${campaignId}: email:password API access revoked for ${revoked} users (${tiers.join(' and ')} hash tiers) until they set a new password`,
    actor,
    now,
  );
  return moved;
}

/**
 * The scheduled start's job: starts the campaign if it is still scheduled
 * (not started by hand or cancelled meanwhile); otherwise does nothing.
 */
export async function startScheduledCampaign(deps: Deps, id: number): Promise<CampaignView | undefined> {
  const row = await findCampaign(deps.db, id);
  if (row?.state !== 'scheduled') return undefined;
  try {
    return await startCampaign(deps, id, { type: 'system', id: `rotation_campaign:${id}:schedule` });
  } catch (error) {
    // Another process started or cancelled it between the read and the move.
    if (error instanceof AppError && error.code === 'IllegalTransition') return undefined;
    throw error;
  }
}
