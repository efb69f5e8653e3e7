import { sql } from 'kysely';
import type { Db, Queryable } from '../../db/database.js';

// Any constant shared by every Riposte process: "Ripost" in ASCII.
const QUEUE_CREATION_LOCK = 0x5269706f7374;

/**
 * Runs `create` while holding a PostgreSQL advisory lock shared by every
 * Riposte process. pg-boss v10 creates a queue with DDL (a partition attached
 * to its job table, foreign keys to its queue table), and two processes doing
 * so at once deadlock; serialising them costs nothing after the first start.
 */
export async function withQueueCreationLock<T>(db: Db, create: () => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(cast(${QUEUE_CREATION_LOCK} as bigint))`.execute(connection);
    try {
      return await create();
    } finally {
      await sql`select pg_advisory_unlock(cast(${QUEUE_CREATION_LOCK} as bigint))`.execute(connection);
    }
  });
}

/**
 * Deletes pg-boss's jobs, live and archived, whose payload has `field` equal
 * to `value`. pg-boss keeps payloads until it archives and then deletes them.
 */
export async function deletePgBossJobsWithPayload(db: Queryable, schema: string, field: string, value: string): Promise<number> {
  const payload = JSON.stringify({ [field]: value });
  let removed = 0;
  for (const table of ['job', 'archive']) {
    const exists = await sql<{ found: string | null }>`select to_regclass(${`${schema}.${table}`})::text as found`.execute(db);
    if (exists.rows[0]?.found === null || exists.rows[0]?.found === undefined) continue;
    const result = await sql`delete from ${sql.table(`${schema}.${table}`)} where data @> ${payload}::jsonb`.execute(db);
    removed += Number(result.numAffectedRows ?? 0);
  }
  return removed;
}
