import { sql } from 'kysely';
import type { Queryable } from './database.js';
import type { Database } from './schema.js';

/**
 * Refreshes the query planner's statistics for `tables` after a bulk load.
 * Without them PostgreSQL plans a million freshly imported rows as if the
 * tables were empty (nested loops where hash joins belong); SQLite's
 * `ANALYZE` fills sqlite_stat1 the same way. Same statement on both.
 */
export async function refreshPlannerStatistics(db: Queryable, tables: ReadonlyArray<keyof Database>): Promise<void> {
  for (const table of tables) await sql`analyze ${sql.table(table)}`.execute(db);
}
