import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

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
