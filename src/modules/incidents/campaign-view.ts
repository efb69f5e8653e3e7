import { AppError, notFound } from '../../errors.js';
import type { HashTierCounts } from '../auth/passwords/hash-strength.js';
import { findCampaign, type CampaignRow, type CampaignState } from './campaigns.repo.js';
import { parseHashTiers } from './scope.service.js';
import type { Selector } from './selectors/selector.model.js';
import type { Queryable } from '../../db/database.js';

/*
 * A rotation campaign as callers see it, and the refusals every transition
 * shares; the transitions are in campaigns.service.ts (draft, pause, resume,
 * cancel) and campaign-start.service.ts (schedule, start).
 */

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

export const campaignNotFound = (id: number): AppError => notFound(`Rotation campaign ${id}`);

export function wrongState(row: CampaignRow, verb: string, allowed: readonly CampaignState[]): AppError {
  return new AppError(
    'IllegalTransition',
    `Rotation campaign ${row.id} is ${row.state}; only a campaign that is ${allowed.join(' or ')} can be ${verb}.`,
    { details: { state: row.state } },
  );
}

export function viewOf(row: CampaignRow, now: Date): CampaignView {
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

export async function loadCampaign(db: Queryable, id: number): Promise<CampaignRow> {
  const row = await findCampaign(db, id);
  if (row === undefined) throw campaignNotFound(id);
  return row;
}
