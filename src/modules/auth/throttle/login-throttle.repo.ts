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

/** A counter's key and, for the counters about one email, that email (erasure and alerts find rows by it). */
export interface CounterKey {
  subject: string;
  email: string | null;
}

/**
 * Counts one failure for each of `subjects` in one upsert statement, so
 * concurrent attempts from any number of processes all count, and returns
 * each subject's count after it. A counter
 * whose last failure is at or before `decayBefore` starts again from one;
 * the lock follows the new count through `schedule`.
 */
export async function countFailures(
  db: Queryable,
  input: { accountId: number; subjects: readonly CounterKey[]; now: string; decayBefore: string; schedule: LockSchedule },
): Promise<Array<{ subject: string; failures: number }>> {
  const { accountId, subjects, now, decayBefore, schedule } = input;
  if (subjects.length === 0) return [];
  const last = schedule.lockedUntil.at(-1) ?? null;
  const failures = sql<number>`(case when login_throttles.last_failure_at <= ${decayBefore} then 1 else login_throttles.failures + 1 end)`;
  const steps = schedule.lockedUntil
    .slice(0, -1)
    .map((until, index) => sql`when ${failures} = ${schedule.freeFailures + 1 + index} then ${until}`);
  const lockedUntil = sql<
    string | null
  >`(case when ${failures} <= ${schedule.freeFailures} then null ${sql.join(steps, sql` `)} else ${last} end)`;
  const firstLock = schedule.freeFailures >= 1 ? null : last;
  const rows = await db
    .insertInto('login_throttles')
    .values(
      subjects.map(({ subject, email }) => ({
        account_id: accountId,
        subject,
        email,
        failures: 1,
        last_failure_at: now,
        locked_until: firstLock,
      })),
    )
    .onConflict((conflict) =>
      conflict.columns(['account_id', 'subject']).doUpdateSet((eb) => ({
        failures,
        last_failure_at: eb.ref('excluded.last_failure_at'),
        locked_until: lockedUntil,
      })),
    )
    .returning(['subject', 'failures'])
    .execute();
  return rows.map((row) => ({ subject: row.subject, failures: Number(row.failures) }));
}

/** A counter over a fixed window, just after counting one more. */
export interface WindowCount {
  count: number;
  windowStartedAt: string;
  alertedAt: string | null;
}

/**
 * Counts one more for `key` in a fixed window: a window started at or before
 * `windowStartedBefore` is over, and the count starts again from one with a
 * new window at `now`. One upsert, atomic under concurrency; never locks.
 */
export async function countInWindow(
  db: Queryable,
  input: { accountId: number; key: CounterKey; now: string; windowStartedBefore: string },
): Promise<WindowCount> {
  const over = sql<boolean>`(login_throttles.window_started_at is null or login_throttles.window_started_at <= ${input.windowStartedBefore})`;
  const row = await db
    .insertInto('login_throttles')
    .values({
      account_id: input.accountId,
      subject: input.key.subject,
      email: input.key.email,
      failures: 1,
      last_failure_at: input.now,
      locked_until: null,
      window_started_at: input.now,
    })
    .onConflict((conflict) =>
      conflict.columns(['account_id', 'subject']).doUpdateSet((eb) => ({
        failures: sql<number>`(case when ${over} then 1 else login_throttles.failures + 1 end)`,
        window_started_at: sql<string>`(case when ${over} then ${eb.ref('excluded.window_started_at')} else login_throttles.window_started_at end)`,
        last_failure_at: eb.ref('excluded.last_failure_at'),
      })),
    )
    .returning(['failures', 'window_started_at', 'alerted_at'])
    .executeTakeFirstOrThrow();
  return { count: Number(row.failures), windowStartedAt: row.window_started_at ?? input.now, alertedAt: row.alerted_at };
}

/**
 * Claims the alert of a counter's current window: true for exactly one
 * caller per window, whichever process it runs in.
 */
export async function claimWindowAlert(
  db: Queryable,
  input: { accountId: number; subject: string; windowStartedAt: string; now: string },
): Promise<boolean> {
  const result = await db
    .updateTable('login_throttles')
    .set({ alerted_at: input.now })
    .where('account_id', '=', input.accountId)
    .where('subject', '=', input.subject)
    .where('window_started_at', '=', input.windowStartedAt)
    .where((eb) => eb.or([eb('alerted_at', 'is', null), eb('alerted_at', '<', eb.ref('window_started_at'))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * How many client addresses failed since `since`: for one email (its pair
 * counters), or across the account (its address counters).
 */
export async function countFailingAddresses(
  db: Queryable,
  input: { accountId: number; email: string | null; since: string },
): Promise<number> {
  let query = db
    .selectFrom('login_throttles')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('account_id', '=', input.accountId)
    .where('last_failure_at', '>=', input.since);
  query =
    input.email === null
      ? query.where('subject', 'like', 'ip:%')
      : query.where('email', '=', input.email).where('subject', 'like', 'pair:%');
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
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

/** Erasure: the throttle counters keyed by a person's address (the email's own and its (email, address) pairs) go. */
export async function eraseThrottlesOf(db: Queryable, accountId: number, email: string): Promise<number> {
  const result = await db.deleteFrom('login_throttles').where('account_id', '=', accountId).where('email', '=', email).executeTakeFirst();
  return Number(result.numDeletedRows);
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
