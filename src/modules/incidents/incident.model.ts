import type { IncidentsTable } from '../../db/schema.js';

/**
 * An incident is a persisted flow (DESIGN.md, "Incident"): an id, a state,
 * its times, and `incidentProblems` as its validity check.
 */
export const INCIDENT_STATES = [
  'investigating',
  'identified',
  'remediating',
  'monitoring',
  'closed',
] as const satisfies readonly IncidentsTable['state'][];
export type IncidentState = (typeof INCIDENT_STATES)[number];

export const isIncidentState = (value: string): value is IncidentState => (INCIDENT_STATES as readonly string[]).includes(value);

/** Task kinds the engine creates itself; operators' own tasks are `custom`. */
export const TASK_KINDS = { supervisoryAuthorityDecision: 'supervisory_authority_decision', custom: 'custom' } as const;

/** GDPR Art. 33(1): notify the supervisory authority within 72 hours of becoming aware. */
export const SUPERVISORY_AUTHORITY_DEADLINE_MS = 72 * 60 * 60 * 1000;
export const SUPERVISORY_AUTHORITY_TASK_TITLE = 'Decide on notifying the supervisory authority (GDPR Art. 33)';

/**
 * The states `from` may move to: forward by one or more steps, and back from
 * monitoring to remediating when the fix did not hold. Closed is final.
 *
 * @example
 * allowedNextStates('monitoring'); // ['closed', 'remediating']
 */
export function allowedNextStates(from: IncidentState): IncidentState[] {
  const forward = INCIDENT_STATES.slice(INCIDENT_STATES.indexOf(from) + 1);
  return from === 'monitoring' ? [...forward, 'remediating'] : forward;
}

/** Whether an incident in `from` may move to `to`. */
export function validTransition(from: IncidentState, to: IncidentState): boolean {
  return allowedNextStates(from).includes(to);
}

export interface ExposureWindow {
  startsAt: string;
  endsAt?: string | null;
}

export interface IncidentTimes {
  becameAwareAt: string;
  exposureWindow?: ExposureWindow | null;
}

/**
 * What makes an incident's times invalid, as `field: problem` pairs; empty
 * when valid. A cutoff after `became_aware_at` is allowed (the cutoff is when
 * the exposure ended, which forensics may date later than the discovery).
 */
export function incidentProblems(times: IncidentTimes, now: Date): Record<string, string[]> {
  const problems: Record<string, string[]> = {};
  if (Date.parse(times.becameAwareAt) > now.getTime()) problems.became_aware_at = ['is in the future'];
  const window = times.exposureWindow;
  if (window?.endsAt !== undefined && window.endsAt !== null && Date.parse(window.endsAt) < Date.parse(window.startsAt)) {
    problems.exposure_window = ['ends before it starts'];
  }
  return problems;
}

export interface IncidentTimelineEvent {
  seq: number;
  occurredAt: string;
  kind: string;
  summary: string;
  data: Record<string, unknown>;
  actor: string;
}

export interface IncidentTask {
  id: number;
  title: string;
  owner: string | null;
  dueAt: string | null;
  doneAt: string | null;
  kind: string;
  /** Marked public when completed: customers see it, with `doneAt`, as something the vendor has done. */
  public: boolean;
  /** Not done and past its due time by the clock. */
  overdue: boolean;
}

export interface IncidentSummary {
  id: number;
  title: string;
  state: IncidentState;
  becameAwareAt: string;
  exposureWindow: { startsAt: string; endsAt: string | null } | null;
  cutoff: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  allowedNextStates: IncidentState[];
}

export interface IncidentDetails extends IncidentSummary {
  /** Ordered by when each event occurred, then by when it was recorded. */
  timeline: IncidentTimelineEvent[];
  tasks: IncidentTask[];
  overdueTasks: number;
}
