import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Every campaign target is written once by the freeze and updated once by its
// batch (flagged, or settled as changed before rotation). Filling PostgreSQL's
// pages to 40% leaves room on each for the updated version of every row it
// holds (about 95 bytes a row, 120 once flagged), so the update stays on the
// page and adds no entry to either of the table's indexes (a heap-only tuple):
// 84,217 of 84,217 in `npm run bench:incident`, against 236 at the default
// 100%. SQLite rewrites rows in place: nothing to do.
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`alter table campaign_targets set (fillfactor = 40)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`alter table campaign_targets reset (fillfactor)`.execute(db);
}
