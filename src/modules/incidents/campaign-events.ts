import type { Queryable } from '../../db/database.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor, type AuditWriter } from '../../platform/audit/audit.service.js';
import { recordCampaignWork } from '../staff-access/staff-work.js';
import { moveCampaign, type CampaignRow } from './campaigns.repo.js';
import { actorLabel } from './incident-history.js';
import { appendIncidentEvent, touchIncident } from './incidents.repo.js';

/*
 * What a campaign tells its incident as it moves, shared by the campaign's
 * own transitions (campaigns.service.ts, campaign-start.service.ts) and its
 * batches (rotation-batch.service.ts): timeline events, and the move to `done`.
 */

/** The actor of what Riposte does by itself: scheduled starts, batches, the move to done. */
export const SYSTEM_ACTOR: Actor = { type: 'system' };

/** Appends a campaign's event to its incident's timeline (with progress), in the caller's transaction. */
export async function timelineEvent(
  tx: Queryable,
  row: CampaignRow,
  kind: string,
  summary: string,
  actor: Actor,
  now: string,
): Promise<void> {
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

/**
 * Tells a campaign's move (`verb`: scheduled, started, paused...) to its
 * incident's timeline, the platform's audit trail and, when an operator made
 * it, each account with targets in it; in the caller's transaction.
 */
export async function recordTransition(
  tx: Queryable,
  writer: AuditWriter,
  row: CampaignRow,
  move: { verb: string; summary: string; data: Record<string, unknown>; actor: Actor; now: string },
): Promise<void> {
  const id = Number(row.id);
  await timelineEvent(tx, row, `campaign_${move.verb}`, move.summary, move.actor, move.now);
  await recordAudit(tx, writer, {
    accountId: PLATFORM_ACCOUNT_ID,
    actor: move.actor,
    action: `rotation_campaign.${move.verb}`,
    target: { type: 'rotation_campaign', id },
    data: move.data,
  });
  await recordCampaignWork(tx, writer, move.actor, id, move.verb);
}

/** Marks a running campaign done once every target is flagged; in the caller's transaction. */
export async function finishIfComplete(tx: Queryable, writer: AuditWriter, row: CampaignRow, now: string): Promise<CampaignRow> {
  if (row.state !== 'running' || Number(row.done) < Number(row.total)) return row;
  const finished = await moveCampaign(tx, Number(row.id), ['running'], { state: 'done', finished_at: now });
  if (finished === undefined) return row;
  await recordTransition(tx, writer, finished, {
    verb: 'finished',
    summary: `Rotation campaign ${finished.id} done: ${finished.total} users must change their password`,
    data: { total: Number(finished.total) },
    actor: SYSTEM_ACTOR,
    now,
  });
  return finished;
}
