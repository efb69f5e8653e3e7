import type { Queryable } from '../../db/database.js';

/**
 * Set-based, batched removal of data past its retention period. Each
 * function handles at most `limit` rows in one statement and returns how
 * many it handled, so a caller loops in short transactions until a batch
 * comes back short. Rows are picked by key in a subquery (row values work
 * on SQLite and PostgreSQL alike).
 */

/** Web sessions that ended (expired or revoked) before `cutoff`. */
export async function deleteEndedSessions(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'id'),
        'in',
        eb
          .selectFrom('sessions as ended')
          .select(['ended.account_id', 'ended.id'])
          .where((w) => w.or([w('ended.expires_at', '<', cutoff), w('ended.revoked_at', '<', cutoff)]))
          .limit(limit)
          .$asTuple('account_id', 'id'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Staff sessions that ended before `cutoff`. */
export async function deleteEndedStaffSessions(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('staff_sessions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('staff_sessions as ended')
        .select('ended.id')
        .where((w) => w.or([w('ended.expires_at', '<', cutoff), w('ended.revoked_at', '<', cutoff)]))
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countEndedSessions(db: Queryable, cutoff: string): Promise<number> {
  const [web, staff] = await Promise.all([
    db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where((w) => w.or([w('expires_at', '<', cutoff), w('revoked_at', '<', cutoff)]))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('staff_sessions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where((w) => w.or([w('expires_at', '<', cutoff), w('revoked_at', '<', cutoff)]))
      .executeTakeFirstOrThrow(),
  ]);
  return Number(web.n) + Number(staff.n);
}

/** Login throttle counters whose last failure is older than `cutoff` and that lock nothing any more. */
export async function deleteIdleLoginThrottles(db: Queryable, cutoff: string, now: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('login_throttles')
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'subject'),
        'in',
        eb
          .selectFrom('login_throttles as idle')
          .select(['idle.account_id', 'idle.subject'])
          .where('idle.last_failure_at', '<', cutoff)
          .where((w) => w.or([w('idle.locked_until', 'is', null), w('idle.locked_until', '<=', now)]))
          .limit(limit)
          .$asTuple('account_id', 'subject'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countIdleLoginThrottles(db: Queryable, cutoff: string, now: string): Promise<number> {
  const row = await db
    .selectFrom('login_throttles')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('last_failure_at', '<', cutoff)
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** An empty body is what a dropped one looks like. */
export const DROPPED_BODY = '{}';

const finishedBefore = (cutoff: string) => (eb: import('kysely').ExpressionBuilder<import('../../db/schema.js').Database, 'messages'>) =>
  eb.and([
    eb('messages.state', 'in', ['sent', 'failed']),
    eb(eb.fn.coalesce('messages.sent_at', 'messages.created_at'), '<', cutoff),
    eb('messages.template_data', '<>', DROPPED_BODY),
  ]);

/** Drops the sealed body (template data) of messages sent or failed before `cutoff`; the row and its state stay. */
export async function dropMessageBodies(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .updateTable('messages')
    .set({ template_data: DROPPED_BODY })
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'id'),
        'in',
        eb
          .selectFrom('messages')
          .select(['messages.account_id', 'messages.id'])
          .where(finishedBefore(cutoff))
          .limit(limit)
          .$asTuple('account_id', 'id'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countMessageBodies(db: Queryable, cutoff: string): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll().as('n'))
    .where(finishedBefore(cutoff))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const ARGON2ID = '$argon2id$%';

/**
 * Password history in legacy formats (imported bcrypt, PBKDF2, salted SHA,
 * and those wrapped in argon2id) of users whose current hash is argon2id:
 * the upgrade superseded them.
 */
const supersededLegacyHistory = (db: Queryable, cutoff: string) =>
  db
    .selectFrom('password_history as h')
    .innerJoin('password_credentials as c', (join) => join.onRef('c.account_id', '=', 'h.account_id').onRef('c.user_id', '=', 'h.user_id'))
    .where('h.password_hash', 'not like', ARGON2ID)
    .where('c.password_hash', 'like', ARGON2ID)
    .where('h.created_at', '<', cutoff);

export async function deleteSupersededLegacyHashes(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('password_history')
    .where((eb) =>
      eb(
        eb.refTuple('account_id', 'user_id', 'id'),
        'in',
        supersededLegacyHistory(db, cutoff)
          .select(['h.account_id', 'h.user_id', 'h.id'])
          .limit(limit)
          .$asTuple('account_id', 'user_id', 'id'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countSupersededLegacyHashes(db: Queryable, cutoff: string): Promise<number> {
  const row = await supersededLegacyHistory(db, cutoff)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
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
