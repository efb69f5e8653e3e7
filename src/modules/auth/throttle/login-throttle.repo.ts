import { sql } from 'kysely';
import type { Queryable } from '../../../db/database.js';

/** A subject's lock, while it lasts. */
export interface ActiveLock {
  subject: string;
  lockedUntil: string;
}

/** The subjects among `subjects` locked after `now` (ISO time). */
export async function findActiveLocks(db: Queryable, accountId: number, subjects: readonly string[], now: string): Promise<ActiveLock[]> {
  if (subjects.length === 0) return [];
  const rows = await db
    .selectFrom('login_throttles')
    .select(['subject', 'locked_until'])
    .where('account_id', '=', accountId)
    .where('subject', 'in', [...subjects])
    .where('locked_until', '>', now)
    .execute();
  return rows.flatMap((row) => (row.locked_until === null ? [] : [{ subject: row.subject, lockedUntil: row.locked_until }]));
}

/**
 * When a subject with a given count of failures is locked until: free up to
 * `freeFailures`, then `lockedUntil[0]` for the next failure, `lockedUntil[1]`
 * for the one after, and the last entry for every failure past the list.
 */
export interface LockSchedule {
  freeFailures: number;
  lockedUntil: readonly string[];
}

/**
 * Counts one failure for each of `subjects` in one upsert statement, so
 * concurrent attempts from any number of processes all count. A counter
 * whose last failure is at or before `decayBefore` starts again from one;
 * the lock follows the new count through `schedule`.
 */
export async function countFailures(
  db: Queryable,
  input: { accountId: number; subjects: readonly string[]; now: string; decayBefore: string; schedule: LockSchedule },
): Promise<void> {
  const { accountId, subjects, now, decayBefore, schedule } = input;
  if (subjects.length === 0) return;
  const last = schedule.lockedUntil.at(-1) ?? null;
  const failures = sql<number>`(case when login_throttles.last_failure_at <= ${decayBefore} then 1 else login_throttles.failures + 1 end)`;
  const steps = schedule.lockedUntil
    .slice(0, -1)
    .map((until, index) => sql`when ${failures} = ${schedule.freeFailures + 1 + index} then ${until}`);
  const lockedUntil = sql<
    string | null
  >`(case when ${failures} <= ${schedule.freeFailures} then null ${sql.join(steps, sql` `)} else ${last} end)`;
  const firstLock = schedule.freeFailures >= 1 ? null : last;
  await db
    .insertInto('login_throttles')
    .values(subjects.map((subject) => ({ account_id: accountId, subject, failures: 1, last_failure_at: now, locked_until: firstLock })))
    .onConflict((conflict) =>
      conflict.columns(['account_id', 'subject']).doUpdateSet((eb) => ({
        failures,
        last_failure_at: eb.ref('excluded.last_failure_at'),
        locked_until: lockedUntil,
      })),
    )
    .execute();
}

/** Forgets a subject's failures (after a successful sign-in). */
export async function deleteThrottle(db: Queryable, accountId: number, subject: string): Promise<void> {
  await db.deleteFrom('login_throttles').where('account_id', '=', accountId).where('subject', '=', subject).execute();
}

/** Deletes every counter that has decayed and holds no lock: one statement over all accounts. */
export async function deleteDecayedThrottles(db: Queryable, input: { now: string; decayBefore: string }): Promise<number> {
  const result = await db
    .deleteFrom('login_throttles')
    .where('last_failure_at', '<=', input.decayBefore)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', input.now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
