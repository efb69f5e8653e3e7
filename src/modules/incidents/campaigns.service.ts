import { tuneForSetStatements, withJoinsByKey } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import { recordCampaignWork } from '../staff-access/staff-work.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { enqueuePendingBatches } from './rotation-batch.job.js';
import { finishIfComplete, SYSTEM_ACTOR, timelineEvent } from './campaign-events.js';
import { rotationAnnouncementJob, rotationAnnouncementKey } from './rotation-announcement.job.js';
import { scheduledStartJob, scheduledStartKey } from './scheduled-start.job.js';
import {
  CAMPAIGN_ID_SEQUENCE,
  completionByAccount,
  findCampaign,
  freezeTargets,
  frozenTargetsByTier,
  insertCampaign,
  moveCampaign,
  revokeTargetsApiPasswords,
  type CampaignRow,
  type CampaignState,
} from './campaigns.repo.js';
import { findIncident } from './incidents.repo.js';
import { parseSelector, type Selector } from './selectors/selector.model.js';
import { dryRun, type DryRun } from './campaign-dry-run.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';
import type { HashTier, HashTierCounts } from '../auth/passwords/hash-strength.js';
import { hashesAsOf, parseHashTiers } from './scope.service.js';
import type { IncidentRow } from './incidents.repo.js';

export { EXEMPT_REASONS, type DryRun, type ExemptReason } from './campaign-dry-run.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs'>;
type Tx = Deps['db'];

/** Targets per batch when the caller does not say: big enough to amortise a transaction, small enough to pause promptly. */
export const DEFAULT_BATCH_SIZE = 10_000;

/** How a campaign orders its batches: key order, or every critical target's batches first, then high, then moderate. */
export const BATCH_ORDERS = ['by_account', 'weakest_first'] as const;
export type BatchOrder = (typeof BATCH_ORDERS)[number];

/**
 * Whose `email:password` API access the start revokes at once: nobody, the
 * critical tier's targets, or the critical and high tiers'. They keep API
 * tokens and OAuth; setting a new password gives it back.
 */
export const API_PASSWORD_REVOCATIONS = ['none', 'critical', 'critical_and_high'] as const;
export type ApiPasswordRevocation = (typeof API_PASSWORD_REVOCATIONS)[number];

const REVOKED_TIERS: Record<ApiPasswordRevocation, readonly HashTier[]> = {
  none: [],
  critical: ['critical'],
  critical_and_high: ['critical', 'high'],
};

export interface CampaignProgress {
  done: number;
  total: number;
  /** Targets flagged per second since the campaign started. */
  rate: number;
  /** At `rate`; null when nothing is flagged yet or nothing is left. */
  secondsLeft: number | null;
}

export interface CampaignView {
  id: number;
  incidentId: number;
  state: CampaignState;
  selector: Selector;
  cutoff: string;
  revokeSessions: boolean;
  batchSize: number;
  batches: number;
  createdAt: string;
  /** When a scheduled campaign starts by itself; null when started by hand. */
  startAt: string | null;
  /** When it was scheduled, its targets frozen and told. */
  scheduledAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  progress: CampaignProgress;
  order: BatchOrder;
  revokeApiPasswords: ApiPasswordRevocation;
  /** Frozen targets per hash tier at exposure time; null until frozen (or frozen before tiers). */
  targetsByTier: HashTierCounts | null;
  /** Credentials whose `email:password` API access the start revoked; null until started, or when not asked. */
  apiPasswordsRevoked: number | null;
}

export interface CreatedCampaign extends CampaignView {
  dryRun: DryRun;
}

const campaignNotFound = (id: number): AppError => notFound(`Rotation campaign ${id}`);

function wrongState(row: CampaignRow, verb: string, allowed: readonly CampaignState[]): AppError {
  return new AppError(
    'IllegalTransition',
    `Rotation campaign ${row.id} is ${row.state}; only a campaign that is ${allowed.join(' or ')} can be ${verb}.`,
    { details: { state: row.state } },
  );
}

function viewOf(row: CampaignRow, now: Date): CampaignView {
  const done = Number(row.done);
  const total = Number(row.total);
  const end = row.finished_at === null ? now.getTime() : Date.parse(row.finished_at);
  const elapsed = row.started_at === null ? 0 : Math.max(0.001, (end - Date.parse(row.started_at)) / 1000);
  const rate = elapsed === 0 ? 0 : done / elapsed;
  return {
    id: Number(row.id),
    incidentId: Number(row.incident_id),
    state: row.state,
    selector: JSON.parse(row.selector) as Selector,
    cutoff: row.cutoff,
    revokeSessions: row.revoke_sessions === 1,
    batchSize: Number(row.batch_size),
    batches: Number(row.batches),
    createdAt: row.created_at,
    startAt: row.start_at,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    progress: { done, total, rate: Math.round(rate), secondsLeft: rate === 0 || done >= total ? null : (total - done) / rate },
    order: row.batch_order,
    revokeApiPasswords: row.revoke_api_passwords,
    targetsByTier: parseHashTiers(row.targets_by_tier),
    apiPasswordsRevoked: row.api_passwords_revoked === null ? null : Number(row.api_passwords_revoked),
  };
}

export interface CreateCampaignInput {
  incidentId: number;
  /** Parsed JSON; validated here. */
  selector: unknown;
  /** Default yes: signed-in users must sign in again and meet the change step. */
  revokeSessions?: boolean;
  /** Defaults to the incident's cutoff. */
  cutoff?: string;
  batchSize?: number;
  /** Schedules the draft to start at this time (ISO 8601, in the future): its targets are frozen and told now. */
  startAt?: string;
  /** `weakest_first`: critical targets' batches run first, then high, then moderate. Default `by_account`. */
  order?: string;
  /** Revoke `email:password` API access of the `critical` (or `critical_and_high`) targets when the campaign starts. Default `none`. */
  revokeApiPasswords?: string;
  actor?: Actor;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, field: string): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}.`, { [field]: ['is not an allowed value'] });
}

/**
 * Drafts a rotation campaign for an open incident and returns it with its
 * dry run: targets by account, role and realm, and the exempted by reason.
 * Nothing is frozen or flagged until `startCampaign`.
 *
 * @example
 * const draft = await createCampaign(deps, { incidentId: 1, selector: JSON.parse(file) });
 * draft.dryRun.targets; // 41_204
 * draft.dryRun.exempt.sso; // 310
 */
export async function createCampaign(deps: Deps, input: CreateCampaignInput): Promise<CreatedCampaign> {
  const selector = parseSelector(input.selector);
  const order = oneOf(input.order, BATCH_ORDERS, 'by_account', 'order');
  const revokeApiPasswords = oneOf(input.revokeApiPasswords, API_PASSWORD_REVOCATIONS, 'none', 'revoke_api_passwords');
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000)
    throw invalid('batch_size must be a whole number from 1 to 1,000,000.', { batch_size: ['is out of range'] });
  const incident = await findIncident(deps.db, input.incidentId);
  if (incident === undefined) throw notFound(`Incident ${input.incidentId}`);
  if (incident.state === 'closed')
    throw new AppError('IncidentClosed', `Incident ${incident.id} is closed; declare a new incident to rotate passwords.`);
  const rawCutoff = input.cutoff ?? incident.cutoff;
  const cutoff = rawCutoff === null ? undefined : normaliseTimestamp(rawCutoff);
  if (cutoff === undefined)
    throw invalid(`Incident ${incident.id} has no cutoff; give the campaign one (passwords set before it are rotated).`, {
      cutoff: ['is missing or not an ISO-8601 time'],
    });
  const now = deps.clock.now().toISOString();
  const startAt = input.startAt === undefined ? undefined : futureStart(input.startAt, deps.clock.now());
  const row = await deps.db.transaction().execute(async (tx) => {
    const campaign: CampaignRow = {
      id: await reserveIds(tx, CAMPAIGN_ID_SEQUENCE, 1),
      incident_id: Number(incident.id),
      selector: JSON.stringify(selector),
      cutoff,
      revoke_sessions: input.revokeSessions === false ? 0 : 1,
      state: 'draft',
      batch_size: batchSize,
      batches: 0,
      run_generation: 0,
      created_at: now,
      started_at: null,
      finished_at: null,
      total: 0,
      done: 0,
      start_at: null,
      scheduled_at: null,
      batch_order: order,
      revoke_api_passwords: revokeApiPasswords,
      targets_by_tier: null,
      api_passwords_revoked: null,
    };
    await insertCampaign(tx, campaign);
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor ?? SYSTEM_ACTOR,
      action: 'rotation_campaign.drafted',
      target: { type: 'rotation_campaign', id: campaign.id },
      data: {
        incident_id: campaign.incident_id,
        cutoff,
        revoke_sessions: campaign.revoke_sessions === 1,
        order,
        revoke_api_passwords: revokeApiPasswords,
      },
    });
    const actor = input.actor ?? SYSTEM_ACTOR;
    return startAt === undefined ? campaign : scheduleDraft(tx, deps, Number(campaign.id), startAt, actor, now);
  });
  const counted = await deps.db.transaction().execute(async (tx) => {
    await tuneForSetStatements(tx);
    return withJoinsByKey(tx, () => dryRun(tx, selector, cutoff, hashesAsOf(incident, cutoff)));
  });
  return { ...viewOf(row, deps.clock.now()), dryRun: counted };
}

async function loadCampaign(db: Tx, id: number): Promise<CampaignRow> {
  const row = await findCampaign(db, id);
  if (row === undefined) throw campaignNotFound(id);
  return row;
}

/** A scheduled start as given: an ISO 8601 time after `now`, normalised. */
function futureStart(raw: string, now: Date): string {
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
async function scheduleDraft(tx: Tx, deps: Deps, id: number, startAt: string, actor: Actor, now: string): Promise<CampaignRow> {
  const moved = await moveCampaign(tx, id, ['draft'], { state: 'scheduled', start_at: startAt, scheduled_at: now });
  if (moved === undefined) throw wrongState(await loadCampaign(tx, id), 'scheduled', ['draft']);
  const scheduled = await freezeIntoBatches(tx, moved, 'scheduled');
  await timelineEvent(
    tx,
    scheduled,
    'campaign_scheduled',
    `Rotation campaign ${id} scheduled to start at ${startAt}: ${scheduled.total} users told in advance`,
    actor,
    now,
  );
  await recordAudit(tx, deps, {
    accountId: PLATFORM_ACCOUNT_ID,
    actor,
    action: 'rotation_campaign.scheduled',
    target: { type: 'rotation_campaign', id },
    data: { start_at: startAt, total: Number(scheduled.total), batches: Number(scheduled.batches) },
  });
  await recordCampaignWork(tx, deps, actor, id, 'scheduled');
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
    await timelineEvent(
      tx,
      counted,
      'campaign_started',
      `Rotation campaign ${id} started${when}: ${total} users in ${batches} batches`,
      actor,
      now,
    );
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor,
      action: 'rotation_campaign.started',
      target: { type: 'rotation_campaign', id },
      data: { total, batches, order: counted.batch_order },
    });
    await recordCampaignWork(tx, deps, actor, id, 'started');
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

/** Pauses a running campaign: the batch in flight finishes, no other starts until `resumeCampaign`. */
export async function pauseCampaign(deps: Deps, id: number, actor: Actor = SYSTEM_ACTOR): Promise<CampaignView> {
  return changeState(deps, id, { from: ['running'], to: 'paused', verb: 'paused', actor });
}

/** Resumes a paused campaign with fresh jobs for the batches still pending. */
export async function resumeCampaign(deps: Deps, id: number, actor: Actor = SYSTEM_ACTOR): Promise<CampaignView> {
  return changeState(deps, id, { from: ['paused'], to: 'running', verb: 'resumed', actor });
}

/**
 * Cancels a campaign: no further batch runs. Users already flagged stay
 * flagged (their new password is still required); the rest are left alone.
 */
export async function cancelCampaign(deps: Deps, id: number, actor: Actor = SYSTEM_ACTOR): Promise<CampaignView> {
  return changeState(deps, id, { from: ['draft', 'scheduled', 'running', 'paused'], to: 'cancelled', verb: 'cancelled', actor });
}

/**
 * Enqueues the pending batches of a running campaign again under fresh job
 * keys: how a process picks up a campaign whose worker died (kill -9) without
 * waiting for the dead run's job lock to expire. Safe while another worker
 * runs it: batches are idempotent.
 */
export async function requeueCampaign(deps: Deps, id: number): Promise<CampaignView> {
  const row = await deps.db.transaction().execute(async (tx) => {
    const bumped = await moveCampaign(tx, id, ['running'], { bumpGeneration: true });
    if (bumped === undefined) throw wrongState(await loadCampaign(tx, id), 'run', ['running']);
    await enqueuePendingBatches(deps.jobs, tx, bumped);
    return bumped;
  });
  return viewOf(row, deps.clock.now());
}

async function changeState(
  deps: Deps,
  id: number,
  change: { from: readonly CampaignState[]; to: CampaignState; verb: string; actor: Actor },
): Promise<CampaignView> {
  const now = deps.clock.now().toISOString();
  const row = await deps.db.transaction().execute(async (tx) => {
    const moved = await moveCampaign(tx, id, change.from, {
      state: change.to,
      ...(change.to === 'cancelled' ? { finished_at: now } : {}),
      ...(change.to === 'running' ? { bumpGeneration: true } : {}),
    });
    if (moved === undefined) throw wrongState(await loadCampaign(tx, id), change.verb, change.from);
    const note = change.to === 'cancelled' ? ` after ${moved.done} of ${moved.total} users; those flagged stay flagged` : '';
    await timelineEvent(tx, moved, `campaign_${change.verb}`, `Rotation campaign ${id} ${change.verb}${note}`, change.actor, now);
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: change.actor,
      action: `rotation_campaign.${change.verb}`,
      target: { type: 'rotation_campaign', id },
      data: { done: Number(moved.done), total: Number(moved.total) },
    });
    await recordCampaignWork(tx, deps, change.actor, id, change.verb);
    if (change.to === 'running') await enqueuePendingBatches(deps.jobs, tx, moved);
    return moved;
  });
  return viewOf(row, deps.clock.now());
}

/** A campaign with its progress: done, total, rate and time left. */
export async function getCampaign(deps: Pick<Deps, 'db' | 'clock'>, id: number): Promise<CampaignView> {
  return viewOf(await loadCampaign(deps.db, id), deps.clock.now());
}

export interface CampaignCompletion {
  campaignId: number;
  flagged: number;
  /** Flagged targets who have set a new password since. */
  changed: number;
  /** Targets who set a new password after the targets were frozen and before their batch ran: left alone. */
  changedBeforeRotation: number;
  accounts: Array<{ accountId: number; subdomain: string; flagged: number; changed: number; changedBeforeRotation: number }>;
}

/** How many flagged targets have since set a new password, overall and per account. */
export async function campaignCompletion(deps: Pick<Deps, 'db'>, id: number): Promise<CampaignCompletion> {
  await loadCampaign(deps.db, id);
  const rows = await completionByAccount(deps.db, id);
  return {
    campaignId: id,
    flagged: rows.reduce((sum, row) => sum + row.flagged, 0),
    changed: rows.reduce((sum, row) => sum + row.changed, 0),
    changedBeforeRotation: rows.reduce((sum, row) => sum + row.changed_before_rotation, 0),
    accounts: rows.map((row) => ({
      accountId: row.account_id,
      subdomain: row.subdomain,
      flagged: row.flagged,
      changed: row.changed,
      changedBeforeRotation: row.changed_before_rotation,
    })),
  };
}
