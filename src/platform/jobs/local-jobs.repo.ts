import { sql, type Insertable, type Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { LocalJobsTable } from '../../db/schema.js';

export type LocalJobRow = Selectable<LocalJobsTable>;
export type NewLocalJob = Insertable<LocalJobsTable>;

// 9 columns a row; well under SQLite's 32,766 bound parameters.
const INSERT_CHUNK = 1000;

/**
 * Inserts jobs, skipping any whose `singleton_key` already exists; returns
 * the ids actually inserted. Chunked, so one call may add many thousands.
 */
const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Deletes the jobs whose JSON payload holds `"field":value` (payloads are written compact, so the text matches). */
export async function deleteLocalJobsWithPayload(db: Queryable, field: string, value: string): Promise<number> {
  const fragment = `${JSON.stringify(field)}:${JSON.stringify(value)}`;
  const result = await db
    .deleteFrom('local_jobs')
    .where(sql<boolean>`payload like ${`%${likeLiteral(fragment)}%`} escape '\\'`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function insertLocalJobs(db: Queryable, rows: readonly NewLocalJob[]): Promise<string[]> {
  const inserted: string[] = [];
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const result = await db
      .insertInto('local_jobs')
      .values(rows.slice(start, start + INSERT_CHUNK))
      .onConflict((oc) => oc.column('singleton_key').doNothing())
      .returning('id')
      .execute();
    inserted.push(...result.map((r) => r.id));
  }
  return inserted;
}

export interface ClaimRequest {
  /** Each claimable job name with the lock its runs get (ISO time). */
  locks: ReadonlyArray<{ name: string; lockedUntil: string }>;
  now: string;
  limit: number;
}

/**
 * Locks up to `limit` due jobs in one statement: queued ones whose time has
 * come, and active ones whose lock expired (their worker died) with attempts
 * left. Each becomes active with its attempt counted; the statement is atomic,
 * so two claimers never take the same job.
 */
export async function claimDueLocalJobs(db: Queryable, request: ClaimRequest): Promise<LocalJobRow[]> {
  const { locks, now, limit } = request;
  const first = locks[0];
  if (first === undefined || limit < 1) return [];
  const names = locks.map((l) => l.name);
  const lockedUntil = sql<string>`case name ${sql.join(
    locks.map((l) => sql`when ${l.name} then ${l.lockedUntil}`),
    sql` `,
  )} else ${first.lockedUntil} end`;
  return db
    .updateTable('local_jobs')
    .set((eb) => ({ state: 'active', attempts: eb('attempts', '+', 1), locked_until: lockedUntil }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('local_jobs as due')
        .select('due.id')
        .where('due.name', 'in', names)
        .where((w) =>
          w.or([
            w.and([w('due.state', '=', 'queued'), w('due.run_at', '<=', now)]),
            w.and([w('due.state', '=', 'active'), w('due.locked_until', '<=', now), w('due.attempts', '<', w.ref('due.max_attempts'))]),
          ]),
        )
        .orderBy('due.run_at')
        .orderBy('due.created_at')
        .limit(limit),
    )
    .returningAll()
    .execute();
}

/**
 * Fails the jobs whose worker died during their last allowed attempt: their
 * lock expired and no attempt is left, so nothing would ever claim them.
 */
export async function failAbandonedLocalJobs(db: Queryable, names: readonly string[], now: string, error: string): Promise<number> {
  if (names.length === 0) return 0;
  const result = await db
    .updateTable('local_jobs')
    .set({ state: 'failed', locked_until: null, finished_at: now, last_error: error })
    .where('name', 'in', names)
    .where('state', '=', 'active')
    .where('locked_until', '<=', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The outcome of one run. It applies only while that run still holds the job
 * (`attempts` is the fencing token): a run that outlived its lock, after the
 * job was claimed again, changes nothing.
 */
export type RunOutcome =
  { state: 'done'; at: string } | { state: 'queued'; runAt: string; error: string } | { state: 'failed'; at: string; error: string };

export async function settleLocalJob(db: Queryable, id: string, attempt: number, outcome: RunOutcome): Promise<boolean> {
  const changes =
    outcome.state === 'done'
      ? { state: outcome.state, finished_at: outcome.at, last_error: null }
      : outcome.state === 'queued'
        ? { state: outcome.state, run_at: outcome.runAt, last_error: outcome.error }
        : { state: outcome.state, finished_at: outcome.at, last_error: outcome.error };
  const result = await db
    .updateTable('local_jobs')
    .set({ ...changes, locked_until: null })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .where('attempts', '=', attempt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findLocalJob(db: Queryable, name: string, id: string): Promise<LocalJobRow | undefined> {
  return db.selectFrom('local_jobs').selectAll().where('id', '=', id).where('name', '=', name).executeTakeFirst();
}

/**
 * Jobs of the embedded runner (`local_jobs`, SQLite) that finished or failed
 * before `cutoff`: their payloads may name people (a reset's address). While
 * a job is kept its singleton key holds, as pg-boss's does until it archives.
 */
const finishedJobsBefore = (db: Queryable, cutoff: string) =>
  db.selectFrom('local_jobs').where('state', 'in', ['done', 'failed']).where('finished_at', '<', cutoff);

export async function deleteFinishedJobs(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('local_jobs')
    .where('id', 'in', finishedJobsBefore(db, cutoff).select('local_jobs.id').limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countFinishedJobs(db: Queryable, cutoff: string): Promise<number> {
  const row = await finishedJobsBefore(db, cutoff)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
