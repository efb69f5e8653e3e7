import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { sql } from 'kysely';
import type { Queryable } from '../../db/database.js';

/**
 * Counts one request for `key` in its fixed window (one upsert, atomic under
 * concurrency in every process): a window that has ended starts again at one.
 * Returns the count and the window's start.
 */
export async function countRequest(db: Queryable, key: string, nowMs: number, windowMs: number) {
  const ended = sql<boolean>`rate_limit_windows.started_ms + ${windowMs} <= ${nowMs}`;
  const row = await db
    .insertInto('rate_limit_windows')
    .values({ key, started_ms: nowMs, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when ${ended} then 1 else rate_limit_windows.count + 1 end`,
        started_ms: sql<number>`case when ${ended} then ${nowMs} else rate_limit_windows.started_ms end`,
      }),
    )
    .returning(['count', 'started_ms'])
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), startedMs: Number(row.started_ms) };
}

/** Retention: windows that ended before `beforeMs`, at most `limit`. */
export async function deleteEndedRateLimitWindows(db: Queryable, beforeMs: number, limit: number): Promise<number> {
  const keys = db.selectFrom('rate_limit_windows').select('key').where('started_ms', '<', beforeMs).limit(limit);
  const result = await db.deleteFrom('rate_limit_windows').where('key', 'in', keys).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countEndedRateLimitWindows(db: Queryable, beforeMs: number): Promise<number> {
  const row = await db
    .selectFrom('rate_limit_windows')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('started_ms', '<', beforeMs)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * A store for `@fastify/rate-limit` that counts in the database, so a limit
 * holds across every process sharing it rather than per process. Each route's
 * counters are keyed by its method and URL, as the plugin's own stores do.
 * Counted by this process's clock, in fixed windows.
 */
export function sharedRateLimitStore(db: Queryable): FastifyRateLimitStoreCtor {
  class SharedRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _options: FastifyRateLimitOptions,
      private readonly prefix = '',
    ) {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow?: number): void {
      const windowMs = timeWindow ?? 60_000;
      const now = Date.now();
      countRequest(db, `${this.prefix}${key}`, now, windowMs).then(
        ({ count, startedMs }) => callback(null, { current: count, ttl: Math.max(0, startedMs + windowMs - now) }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The plugin passes the route's merged limit options, the route itself under `routeInfo`.
      const route = (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo;
      const method = Array.isArray(route?.method) ? route.method.join(',') : (route?.method ?? '');
      return new SharedRateLimitStore({}, `${method}${route?.url ?? ''}:`);
    }
  }
  return SharedRateLimitStore;
}
