import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import { recordCampaignWork } from '../staff-access/staff-work.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { normaliseTimestamp } from '../population/import.schema.js';
import { enqueuePendingBatches } from './campaigns.jobs.js';
import {
  CAMPAIGN_ID_SEQUENCE,
  completionByAccount,
  findCampaign,
  flagBatchCredentials,
  freezeTargets,
  insertCampaign,
  markBatchFlagged,
  moveCampaign,
  openBatch,
  pendingTargetsByAccount,
  revokeBatchSessions,
  type CampaignRow,
  type CampaignState,
} from './campaigns.repo.js';
import { appendIncidentEvent, findIncident, touchIncident } from './incidents.repo.js';
import { actorLabel } from './incident-history.js';
import { parseSelector, type Selector } from './selectors/selector.schema.js';
import { dryRun, type DryRun } from './campaign-dry-run.js';

export { EXEMPT_REASONS, type DryRun, type ExemptReason } from './campaign-dry-run.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'jobs'>;
type Tx = Deps['db'];

/** Targets per batch when the caller does not say: big enough to amortise a transaction, small enough to pause promptly. */
export const DEFAULT_BATCH_SIZE = 10_000;
const SESSION_REVOKED_REASON = 'password_rotation';
const SYSTEM_ACTOR: Actor = { type: 'system' };

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
  startedAt: string | null;
  finishedAt: string | null;
  progress: CampaignProgress;
}

export interface CreatedCampaign extends CampaignView {
  dryRun: DryRun;
}

const campaignNotFound = (id: number): AppError => notFound(`Rotation campaign ${id}`);

function wrongState(row: CampaignRow, verb: string, allowed: readonly CampaignState[]): AppError {
  return new AppError(
    'IllegalTransition',
    409,
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
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    progress: { done, total, rate: Math.round(rate), secondsLeft: rate === 0 || done >= total ? null : (total - done) / rate },
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
  actor?: Actor;
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
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000)
    throw invalid('batch_size must be a whole number from 1 to 1,000,000.', { batch_size: ['is out of range'] });
  const incident = await findIncident(deps.db, input.incidentId);
  if (incident === undefined) throw notFound(`Incident ${input.incidentId}`);
  if (incident.state === 'closed')
    throw new AppError('IncidentClosed', 409, `Incident ${incident.id} is closed; declare a new incident to rotate passwords.`);
  const rawCutoff = input.cutoff ?? incident.cutoff;
  const cutoff = rawCutoff === null ? undefined : normaliseTimestamp(rawCutoff);
  if (cutoff === undefined)
    throw invalid(`Incident ${incident.id} has no cutoff; give the campaign one (passwords set before it are rotated).`, {
      cutoff: ['is missing or not an ISO-8601 time'],
    });
  const now = deps.clock.now().toISOString();
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
    };
    await insertCampaign(tx, campaign);
    await recordAudit(tx, deps.clock, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor ?? SYSTEM_ACTOR,
      action: 'rotation_campaign.drafted',
      target: { type: 'rotation_campaign', id: campaign.id },
      data: { incident_id: campaign.incident_id, cutoff, revoke_sessions: campaign.revoke_sessions === 1 },
    });
    return campaign;
  });
  return { ...viewOf(row, deps.clock.now()), dryRun: await dryRun(deps.db, selector, cutoff) };
}

async function loadCampaign(db: Tx, id: number): Promise<CampaignRow> {
  const row = await findCampaign(db, id);
  if (row === undefined) throw campaignNotFound(id);
  return row;
}

async function timelineEvent(tx: Tx, row: CampaignRow, kind: string, summary: string, actor: Actor, now: string): Promise<void> {
  await touchIncident(tx, Number(row.incident_id), { updated_at: now });
  await appendIncidentEvent(tx, {
    incident_id: Number(row.incident_id),
    occurred_at: now,
    kind,
    summary,
    data: JSON.stringify({ campaign_id: Number(row.id), done: Number(row.done), total: Number(row.total) }),
    actor: actorLabel(actor),
  });
}

/** Marks a running campaign done once every target is flagged; in the caller's transaction. */
async function finishIfComplete(tx: Tx, clock: Deps['clock'], row: CampaignRow, now: string): Promise<CampaignRow> {
  if (row.state !== 'running' || Number(row.done) < Number(row.total)) return row;
  const finished = await moveCampaign(tx, Number(row.id), ['running'], { state: 'done', finished_at: now });
  if (finished === undefined) return row;
  await timelineEvent(
    tx,
    finished,
    'campaign_finished',
    `Rotation campaign ${finished.id} done: ${finished.total} users must change their password`,
    SYSTEM_ACTOR,
    now,
  );
  await recordAudit(tx, clock, {
    accountId: PLATFORM_ACCOUNT_ID,
    actor: SYSTEM_ACTOR,
    action: 'rotation_campaign.finished',
    target: { type: 'rotation_campaign', id: Number(finished.id) },
    data: { total: Number(finished.total) },
  });
  return finished;
}

/**
 * Starts a draft: freezes the target set (one insert-select), numbers its
 * batches and enqueues one job per batch, all in one transaction; the jobs
 * then flag the targets. A campaign with no target is done at once.
 */
export async function startCampaign(deps: Deps, id: number, actor: Actor = SYSTEM_ACTOR): Promise<CampaignView> {
  const now = deps.clock.now().toISOString();
  const row = await deps.db.transaction().execute(async (tx) => {
    const started = await moveCampaign(tx, id, ['draft'], { state: 'running', started_at: now, bumpGeneration: true });
    if (started === undefined) throw wrongState(await loadCampaign(tx, id), 'started', ['draft']);
    const total = await freezeTargets(tx, started, JSON.parse(started.selector) as Selector);
    const batches = Math.ceil(total / Number(started.batch_size));
    const counted = await moveCampaign(tx, id, ['running'], { total, batches });
    if (counted === undefined) throw campaignNotFound(id);
    await timelineEvent(
      tx,
      counted,
      'campaign_started',
      `Rotation campaign ${id} started: ${total} users in ${batches} batches`,
      actor,
      now,
    );
    await recordAudit(tx, deps.clock, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor,
      action: 'rotation_campaign.started',
      target: { type: 'rotation_campaign', id },
      data: { total, batches },
    });
    await recordCampaignWork(tx, deps.clock, actor, id, 'started');
    await enqueuePendingBatches(deps.jobs, tx, counted);
    return finishIfComplete(tx, deps.clock, counted, now);
  });
  return viewOf(row, deps.clock.now());
}

export type BatchOutcome = { applied: false } | { applied: true; users: number; credentials: number; sessions: number };

/**
 * Applies one batch in one transaction: flags the batch's unflagged targets
 * (one UPDATE), revokes their sessions (one UPDATE, when the campaign says
 * so), marks them flagged, counts progress and writes one audit event per
 * account. Idempotent: a second run finds nothing unflagged and changes
 * nothing; a campaign that is not running is left alone.
 */
export async function applyCampaignBatch(deps: Pick<Deps, 'db' | 'clock'>, campaignId: number, batch: number): Promise<BatchOutcome> {
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx): Promise<BatchOutcome> => {
    const campaign = await openBatch(tx, campaignId, batch);
    if (campaign === undefined) return { applied: false };
    const byAccount = await pendingTargetsByAccount(tx, campaignId, batch);
    if (byAccount.length === 0) return { applied: false };
    const credentials = await flagBatchCredentials(tx, campaign, batch);
    const revoke = campaign.revoke_sessions === 1;
    const sessions = revoke ? await revokeBatchSessions(tx, campaignId, batch, now, SESSION_REVOKED_REASON) : 0;
    const users = await markBatchFlagged(tx, campaignId, batch, now);
    const actor: Actor = { type: 'system', id: `rotation_campaign:${campaignId}` };
    const events: AuditEventInput[] = byAccount.map((account) => ({
      accountId: account.accountId,
      actor,
      action: 'password.rotation_forced',
      target: { type: 'rotation_campaign', id: campaignId },
      data: { incident_id: Number(campaign.incident_id), batch, users: account.users, sessions_revoked: revoke },
    }));
    await recordAudit(tx, deps.clock, ...events);
    await finishIfComplete(tx, deps.clock, campaign, now);
    return { applied: true, users, credentials, sessions };
  });
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
  return changeState(deps, id, { from: ['draft', 'running', 'paused'], to: 'cancelled', verb: 'cancelled', actor });
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
    await recordAudit(tx, deps.clock, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: change.actor,
      action: `rotation_campaign.${change.verb}`,
      target: { type: 'rotation_campaign', id },
      data: { done: Number(moved.done), total: Number(moved.total) },
    });
    await recordCampaignWork(tx, deps.clock, change.actor, id, change.verb);
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
  accounts: Array<{ accountId: number; subdomain: string; flagged: number; changed: number }>;
}

/** How many flagged targets have since set a new password, overall and per account. */
export async function campaignCompletion(deps: Pick<Deps, 'db'>, id: number): Promise<CampaignCompletion> {
  await loadCampaign(deps.db, id);
  const rows = await completionByAccount(deps.db, id);
  return {
    campaignId: id,
    flagged: rows.reduce((sum, row) => sum + row.flagged, 0),
    changed: rows.reduce((sum, row) => sum + row.changed, 0),
    accounts: rows.map((row) => ({ accountId: row.account_id, subdomain: row.subdomain, flagged: row.flagged, changed: row.changed })),
  };
}
