import type { Queryable } from '../../db/database.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor, type AuditWriter } from '../../platform/audit/audit.service.js';
import { appendIncidentEvent } from './incidents.repo.js';

/** How the timeline names who acted: `cli`, `user:42`. */
export const actorLabel = (actor: Actor): string =>
  actor.id === undefined || actor.id === null ? actor.type : `${actor.type}:${actor.id}`;

export interface IncidentChange {
  incidentId: number;
  at: string;
  actor: Actor;
  /** The timeline's kind, summary and data, as the response team reads them. */
  kind: string;
  summary: string;
  timeline: Record<string, unknown>;
  /** The audit event's action, and its data when it differs from the timeline's. */
  action: string;
  audit?: Record<string, unknown>;
}

/**
 * Records one change of an incident in its timeline and in the platform's
 * audit chain, in the caller's transaction, so the two never disagree.
 */
export async function recordIncidentChange(tx: Queryable, writer: AuditWriter, change: IncidentChange): Promise<void> {
  await appendIncidentEvent(tx, {
    incident_id: change.incidentId,
    occurred_at: change.at,
    kind: change.kind,
    summary: change.summary,
    data: JSON.stringify(change.timeline),
    actor: actorLabel(change.actor),
  });
  await recordAudit(tx, writer, {
    accountId: PLATFORM_ACCOUNT_ID,
    actor: change.actor,
    action: change.action,
    target: { type: 'incident', id: change.incidentId },
    data: change.audit ?? change.timeline,
  });
}
