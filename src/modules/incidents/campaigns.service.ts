import { tuneForSetStatements, withJoinsByKey } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';
import { dryRun, type DryRun } from './campaign-dry-run.js';
import { recordTransition, SYSTEM_ACTOR } from './campaign-events.js';
import { futureStart, scheduleDraft } from './campaign-start.service.js';
import { API_PASSWORD_REVOCATIONS, BATCH_ORDERS, loadCampaign, viewOf, wrongState, type CampaignView } from './campaign-view.js';
import {
  CAMPAIGN_ID_SEQUENCE,
  completionByAccount,
  insertCampaign,
  moveCampaign,
  type CampaignRow,
  type CampaignState,
} from './campaigns.repo.js';
import { findIncident } from './incidents.repo.js';
import { enqueuePendingBatches } from './rotation-batch.job.js';
import { hashesAsOf } from './scope.service.js';
import { parseSelector } from './selectors/selector.model.js';

/*
 * A campaign's draft (with its dry run) and its transitions once running:
 * pause, resume, cancel, requeue; starting is in campaign-start.service.ts.
 */

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs'>;

/** Targets per batch when the caller does not say: big enough to amortise a transaction, small enough to pause promptly. */
export const DEFAULT_BATCH_SIZE = 10_000;

export interface CreatedCampaign extends CampaignView {
  dryRun: DryRun;
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
    await recordTransition(tx, deps, moved, {
      verb: change.verb,
      summary: `Rotation campaign ${id} ${change.verb}${note}`,
      data: { done: Number(moved.done), total: Number(moved.total) },
      actor: change.actor,
      now,
    });
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
