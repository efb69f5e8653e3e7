import type { Flag } from '../../db/schema.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import {
  allowedNextStates,
  incidentProblems,
  INCIDENT_STATES,
  isIncidentState,
  SUPERVISORY_AUTHORITY_DEADLINE_MS,
  SUPERVISORY_AUTHORITY_TASK_TITLE,
  TASK_KINDS,
  validTransition,
  type ExposureWindow,
  type IncidentDetails,
  type IncidentState,
  type IncidentSummary,
  type IncidentTask,
  type IncidentTimelineEvent,
} from './incident.model.js';
import { actorLabel, recordIncidentChange } from './incident-history.js';
import {
  appendIncidentEvent,
  findIncident,
  findIncidentTask,
  INCIDENT_ID_SEQUENCE,
  INCIDENT_TASK_ID_SEQUENCE,
  insertIncident,
  insertIncidentTask,
  listIncidentEvents,
  listIncidentRows,
  listIncidentTasks,
  markIncidentTaskDone,
  touchIncident,
  type IncidentEventRow,
  type IncidentRow,
  type IncidentTaskRow,
} from './incidents.repo.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;
type Tx = Deps['db'];

const MAX_TITLE = 200;

function timestamp(field: string, value: string): string {
  const normalised = normaliseTimestamp(value);
  if (normalised === undefined)
    throw invalid(`${field} must be an ISO-8601 time with a zone, such as 2026-05-30T09:00:00Z; got "${value}".`, {
      [field]: ['is not an ISO-8601 time'],
    });
  return normalised;
}

function requiredText(field: string, value: string, max: number): string {
  const text = value.trim();
  if (text === '') throw invalid(`${field} must not be empty.`, { [field]: ['is empty'] });
  if (text.length > max) throw invalid(`${field} must be at most ${max} characters.`, { [field]: ['is too long'] });
  return text;
}

const incidentNotFound = (id: number): AppError => notFound(`Incident ${id}`);

/** Changes to a closed incident are refused: closed is final. */
function requireOpen(row: IncidentRow): void {
  if (row.state === 'closed')
    throw new AppError('IncidentClosed', `Incident ${row.id} is closed and can no longer change; declare a new incident instead.`);
}

function summaryOf(row: IncidentRow): IncidentSummary {
  const state: IncidentState = row.state;
  return {
    id: Number(row.id),
    title: row.title,
    state,
    becameAwareAt: row.became_aware_at,
    exposureWindow: row.exposure_starts_at === null ? null : { startsAt: row.exposure_starts_at, endsAt: row.exposure_ends_at },
    cutoff: row.cutoff,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    allowedNextStates: allowedNextStates(state),
  };
}

const eventOf = (row: IncidentEventRow): IncidentTimelineEvent => ({
  seq: Number(row.seq),
  occurredAt: row.occurred_at,
  kind: row.kind,
  summary: row.summary,
  data: JSON.parse(row.data) as Record<string, unknown>,
  actor: row.actor,
});

const taskOf = (row: IncidentTaskRow, now: Date): IncidentTask => ({
  id: Number(row.id),
  title: row.title,
  owner: row.owner,
  dueAt: row.due_at,
  doneAt: row.done_at,
  kind: row.kind,
  public: row.public === 1,
  overdue: row.done_at === null && row.due_at !== null && Date.parse(row.due_at) < now.getTime(),
});

async function detailsOf(db: Tx, row: IncidentRow, now: Date): Promise<IncidentDetails> {
  const [events, tasks] = await Promise.all([listIncidentEvents(db, row.id), listIncidentTasks(db, row.id)]);
  const taskViews = tasks.map((task) => taskOf(task, now));
  return {
    ...summaryOf(row),
    timeline: events.map(eventOf),
    tasks: taskViews,
    overdueTasks: taskViews.filter((task) => task.overdue).length,
  };
}

/** Locks the open incident for the rest of the transaction and stamps `updated_at`. */
async function lockOpenIncident(tx: Tx, id: number, now: string): Promise<IncidentRow> {
  const row = await touchIncident(tx, id, { updated_at: now });
  if (row === undefined) throw incidentNotFound(id);
  requireOpen(row);
  return row;
}

export interface DeclareIncidentInput {
  title: string;
  /** When the controller became aware of the breach: the GDPR 72-hour clock starts here. */
  becameAwareAt: string;
  /** The time before which data counts as exposed (accounts activated, passwords set). */
  cutoff?: string | null;
  exposureWindow?: ExposureWindow | null;
  actor: Actor;
}

/**
 * Declares an incident in `investigating`, with a `declared` timeline event and
 * the task to decide on notifying the supervisory authority, due exactly 72
 * hours after `becameAwareAt` (GDPR Art. 33(1)); audited in the same transaction.
 *
 * @example
 * const incident = await declareIncident(deps, {
 *   title: 'Credential store accessed', becameAwareAt: '2026-05-30T09:00:00Z', actor: { type: 'cli' },
 * });
 * incident.tasks[0].dueAt; // '2026-06-02T09:00:00.000Z'
 */
export async function declareIncident(deps: Deps, input: DeclareIncidentInput): Promise<IncidentDetails> {
  const title = requiredText('title', input.title, MAX_TITLE);
  const becameAwareAt = timestamp('became_aware_at', input.becameAwareAt);
  const cutoff = input.cutoff === undefined || input.cutoff === null ? null : timestamp('cutoff', input.cutoff);
  const window = input.exposureWindow ?? null;
  const exposureWindow =
    window === null
      ? null
      : {
          startsAt: timestamp('exposure_window.starts_at', window.startsAt),
          endsAt: window.endsAt === undefined || window.endsAt === null ? null : timestamp('exposure_window.ends_at', window.endsAt),
        };
  const problems = incidentProblems({ becameAwareAt, exposureWindow }, deps.clock.now());
  if (Object.keys(problems).length > 0) {
    const described = Object.entries(problems).map(([field, list]) => `${field} ${list.join(', ')}`);
    throw invalid(`The incident cannot be declared: ${described.join('; ')}.`, problems);
  }
  const now = deps.clock.now().toISOString();
  const dueAt = new Date(Date.parse(becameAwareAt) + SUPERVISORY_AUTHORITY_DEADLINE_MS).toISOString();
  const actor = actorLabel(input.actor);
  const row = await deps.db.transaction().execute(async (tx) => {
    const incident: IncidentRow = {
      id: await reserveIds(tx, INCIDENT_ID_SEQUENCE, 1),
      title,
      state: 'investigating',
      became_aware_at: becameAwareAt,
      exposure_starts_at: exposureWindow?.startsAt ?? null,
      exposure_ends_at: exposureWindow?.endsAt ?? null,
      cutoff,
      created_at: now,
      updated_at: now,
      closed_at: null,
    };
    await insertIncident(tx, incident);
    await appendIncidentEvent(tx, {
      incident_id: incident.id,
      occurred_at: now,
      kind: 'declared',
      summary: `Incident declared: ${title}`,
      data: JSON.stringify({ became_aware_at: becameAwareAt, cutoff }),
      actor,
    });
    const taskId = await reserveIds(tx, INCIDENT_TASK_ID_SEQUENCE, 1);
    await insertIncidentTask(tx, {
      incident_id: incident.id,
      id: taskId,
      title: SUPERVISORY_AUTHORITY_TASK_TITLE,
      owner: null,
      due_at: dueAt,
      done_at: null,
      kind: TASK_KINDS.supervisoryAuthorityDecision,
      public: 0,
    });
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'incident.declared',
      target: { type: 'incident', id: incident.id },
      data: { title, became_aware_at: becameAwareAt, cutoff, supervisory_authority_task_due_at: dueAt },
    });
    return incident;
  });
  return detailsOf(deps.db, row, deps.clock.now());
}

export interface TransitionIncidentInput {
  incidentId: number;
  to: string;
  note?: string;
  actor: Actor;
}

/**
 * Moves an incident to another state: forward one or more steps, or back from
 * monitoring to remediating. Anything else is a 409 naming the allowed states.
 */
export async function transitionIncident(deps: Deps, input: TransitionIncidentInput): Promise<IncidentDetails> {
  const to = input.to;
  if (!isIncidentState(to))
    throw invalid(`"${to}" is not an incident state; use one of ${INCIDENT_STATES.join(', ')}.`, { state: ['is not a state'] });
  const note = input.note?.trim() === '' ? undefined : input.note?.trim();
  const now = deps.clock.now().toISOString();
  const row = await deps.db.transaction().execute(async (tx) => {
    // Locks the row first so two operators' transitions apply one after the other.
    const current = await touchIncident(tx, input.incidentId, { updated_at: now });
    if (current === undefined) throw incidentNotFound(input.incidentId);
    const from: IncidentState = current.state;
    if (!validTransition(from, to)) {
      const allowed = allowedNextStates(from);
      throw new AppError(
        'IllegalTransition',
        allowed.length === 0
          ? `Incident ${current.id} is ${from}, which is final; it cannot move to ${to}.`
          : `Incident ${current.id} cannot move from ${from} to ${to}; allowed next states: ${allowed.join(', ')}.`,
        { details: { state: from, allowed_next_states: allowed } },
      );
    }
    const updated = await touchIncident(tx, current.id, { state: to, closed_at: to === 'closed' ? now : null, updated_at: now });
    if (updated === undefined) throw incidentNotFound(input.incidentId);
    await recordIncidentChange(tx, deps, {
      incidentId: current.id,
      at: now,
      actor: input.actor,
      kind: 'state_changed',
      summary: note === undefined ? `${from} → ${to}` : `${from} → ${to}: ${note}`,
      timeline: { from, to, ...(note === undefined ? {} : { note }) },
      action: 'incident.transitioned',
    });
    return updated;
  });
  return detailsOf(deps.db, row, deps.clock.now());
}

export interface TimelineEventInput {
  incidentId: number;
  kind: string;
  summary: string;
  /** When it happened, which may be before it was recorded; defaults to now. */
  occurredAt?: string;
  data?: Record<string, unknown>;
  actor: Actor;
}

/** Adds a dated event to an open incident's timeline (audited). */
export async function addTimelineEvent(deps: Deps, input: TimelineEventInput): Promise<IncidentTimelineEvent> {
  const kind = requiredText('kind', input.kind, 64);
  const summary = requiredText('summary', input.summary, 2000);
  const nowDate = deps.clock.now();
  const now = nowDate.toISOString();
  const occurredAt = input.occurredAt === undefined ? now : timestamp('occurred_at', input.occurredAt);
  if (Date.parse(occurredAt) > nowDate.getTime()) throw invalid('occurred_at is in the future; record events once they happen.');
  const data = input.data ?? {};
  const actor = actorLabel(input.actor);
  const seq = await deps.db.transaction().execute(async (tx) => {
    const incident = await lockOpenIncident(tx, input.incidentId, now);
    const appended = await appendIncidentEvent(tx, {
      incident_id: incident.id,
      occurred_at: occurredAt,
      kind,
      summary,
      data: JSON.stringify(data),
      actor,
    });
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'incident.timeline_event_added',
      target: { type: 'incident', id: incident.id },
      data: { seq: appended, kind, occurred_at: occurredAt },
    });
    return appended;
  });
  return { seq, occurredAt, kind, summary, data, actor };
}

export interface AddTaskInput {
  incidentId: number;
  title: string;
  owner?: string | null;
  dueAt?: string | null;
  actor: Actor;
}

/** Adds a task (forensics engaged, law enforcement informed, ...) to an open incident. */
export async function addTask(deps: Deps, input: AddTaskInput): Promise<IncidentTask> {
  const title = requiredText('title', input.title, MAX_TITLE);
  const owner = input.owner === undefined || input.owner === null ? null : requiredText('owner', input.owner, MAX_TITLE);
  const dueAt = input.dueAt === undefined || input.dueAt === null ? null : timestamp('due_at', input.dueAt);
  const nowDate = deps.clock.now();
  const now = nowDate.toISOString();
  const row = await deps.db.transaction().execute(async (tx) => {
    const incident = await lockOpenIncident(tx, input.incidentId, now);
    const task: IncidentTaskRow = {
      incident_id: incident.id,
      id: await reserveIds(tx, INCIDENT_TASK_ID_SEQUENCE, 1),
      title,
      owner,
      due_at: dueAt,
      done_at: null,
      kind: TASK_KINDS.custom,
      public: 0,
    };
    await insertIncidentTask(tx, task);
    await recordIncidentChange(tx, deps, {
      incidentId: incident.id,
      at: now,
      actor: input.actor,
      kind: 'task_added',
      summary: `Task ${task.id} added: ${title}`,
      timeline: { task_id: task.id, owner, due_at: dueAt },
      action: 'incident.task_added',
      audit: { task_id: task.id, title, owner, due_at: dueAt },
    });
    return task;
  });
  return taskOf(row, nowDate);
}

export interface CompleteTaskInput {
  incidentId: number;
  taskId: number;
  /**
   * Customers see the task, by its title and completion date, among what the
   * vendor has done (notices, `GET /api/v2/security/incidents`, the
   * evidence's `measures_taken`): for measures such as "Forensic firm
   * engaged". Default false.
   */
  public?: boolean;
  actor: Actor;
}

/** Marks a task of an open incident done, public or not; a task already done is a 409. */
export async function completeTask(deps: Deps, input: CompleteTaskInput): Promise<IncidentTask> {
  const nowDate = deps.clock.now();
  const now = nowDate.toISOString();
  const row = await deps.db.transaction().execute(async (tx) => {
    const incident = await lockOpenIncident(tx, input.incidentId, now);
    const task = await findIncidentTask(tx, incident.id, input.taskId);
    if (task === undefined) throw notFound(`Task ${input.taskId} of incident ${incident.id}`);
    if (task.done_at !== null)
      throw new AppError('TaskAlreadyDone', `Task ${task.id} of incident ${incident.id} was already done at ${task.done_at}.`);
    const visible: Flag = input.public === true ? 1 : 0;
    await markIncidentTaskDone(tx, incident.id, task.id, now, visible);
    await recordIncidentChange(tx, deps, {
      incidentId: incident.id,
      at: now,
      actor: input.actor,
      kind: 'task_completed',
      summary: `Task ${task.id} done: ${task.title}`,
      timeline: { task_id: Number(task.id), public: visible === 1 },
      action: 'incident.task_completed',
      audit: { task_id: Number(task.id), title: task.title, public: visible === 1 },
    });
    return { ...task, done_at: now, public: visible };
  });
  return taskOf(row, nowDate);
}

/** An incident with its timeline and tasks; `overdue` flags follow the clock. */
export async function getIncident(deps: Deps, id: number): Promise<IncidentDetails> {
  const row = await findIncident(deps.db, id);
  if (row === undefined) throw incidentNotFound(id);
  return detailsOf(deps.db, row, deps.clock.now());
}

/** Every incident, newest first. */
export async function listIncidents(deps: Deps): Promise<IncidentSummary[]> {
  return (await listIncidentRows(deps.db)).map(summaryOf);
}
