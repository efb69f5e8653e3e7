import type { Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { Flag, IncidentEventsTable, IncidentsTable, IncidentTasksTable } from '../../db/schema.js';

export type IncidentRow = Selectable<IncidentsTable>;
export type IncidentEventRow = Selectable<IncidentEventsTable>;
export type IncidentTaskRow = Selectable<IncidentTasksTable>;

export const INCIDENT_ID_SEQUENCE = 'incidents';
export const INCIDENT_TASK_ID_SEQUENCE = 'incident_tasks';

export async function insertIncident(db: Queryable, row: IncidentRow): Promise<void> {
  await db.insertInto('incidents').values(row).execute();
}

export async function findIncident(db: Queryable, id: number): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listIncidentRows(db: Queryable): Promise<IncidentRow[]> {
  return db.selectFrom('incidents').selectAll().orderBy('id', 'desc').execute();
}

/**
 * Sets `updated_at` (and any `changes`) and returns the row, or undefined when
 * there is none. The UPDATE row-locks the incident on PostgreSQL (SQLite has
 * one writer), so timeline appends within the transaction number in turn.
 */
export async function touchIncident(
  db: Queryable,
  id: number,
  changes: Partial<Pick<IncidentRow, 'state' | 'closed_at'>> & { updated_at: string },
): Promise<IncidentRow | undefined> {
  return db.updateTable('incidents').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

/** Appends to the timeline with the next sequence number; call after `touchIncident` in the same transaction. */
export async function appendIncidentEvent(db: Queryable, event: Omit<IncidentEventRow, 'seq'>): Promise<number> {
  const last = await db
    .selectFrom('incident_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('incident_id', '=', event.incident_id)
    .executeTakeFirst();
  const seq = Number(last?.seq ?? 0) + 1;
  await db
    .insertInto('incident_events')
    .values({ ...event, seq })
    .execute();
  return seq;
}

export async function listIncidentEvents(db: Queryable, incidentId: number): Promise<IncidentEventRow[]> {
  return db.selectFrom('incident_events').selectAll().where('incident_id', '=', incidentId).orderBy('occurred_at').orderBy('seq').execute();
}

export async function insertIncidentTask(db: Queryable, row: IncidentTaskRow): Promise<void> {
  await db.insertInto('incident_tasks').values(row).execute();
}

export async function findIncidentTask(db: Queryable, incidentId: number, id: number): Promise<IncidentTaskRow | undefined> {
  return db.selectFrom('incident_tasks').selectAll().where('incident_id', '=', incidentId).where('id', '=', id).executeTakeFirst();
}

export async function markIncidentTaskDone(db: Queryable, incidentId: number, id: number, doneAt: string, visible: Flag): Promise<void> {
  await db
    .updateTable('incident_tasks')
    .set({ done_at: doneAt, public: visible })
    .where('incident_id', '=', incidentId)
    .where('id', '=', id)
    .execute();
}

/** The incident's tasks completed and marked public, by completion: what customers are told the vendor has done. */
export async function listPublicTasksDone(db: Queryable, incidentId: number): Promise<Array<{ title: string; done_at: string }>> {
  const rows = await db
    .selectFrom('incident_tasks')
    .select(['title', 'done_at'])
    .where('incident_id', '=', incidentId)
    .where('public', '=', 1)
    .where('done_at', 'is not', null)
    .orderBy('done_at')
    .orderBy('id')
    .execute();
  return rows.flatMap((row) => (row.done_at === null ? [] : [{ title: row.title, done_at: row.done_at }]));
}

export async function listIncidentTasks(db: Queryable, incidentId: number): Promise<IncidentTaskRow[]> {
  return db.selectFrom('incident_tasks').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}
