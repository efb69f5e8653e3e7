import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { BUMP, WATCHED } from './0026-identity-changes.js';
import { createUpdateTrigger, watchedUpdate } from './0031-identity-changes-when-rows-change.js';

// Migration 0031's PostgreSQL triggers on `users` and `api_tokens` updates
// could not name their columns (a trigger with transition tables takes no
// column list), so every update passed through them: each sign-in's
// `last_login_at` and each batched `last_used_at` paid for two transition
// tables and a comparison of them (33-36 µs of server time for a one-row
// update, against 24-29 µs without). These updates are now per-row
// triggers on the watched columns alone, which PostgreSQL does not even
// queue for an update that sets none of them. A row whose watched values
// differ moves the generation, once per transaction: the move is noted in a
// transaction-local setting, which the trigger reads before moving it again
// and the WHEN of later statements' rows reads too. A rolled-back savepoint
// takes the note back with the move. Inserts and deletes keep 0031's
// statement triggers. SQLite's (0031) name their columns already, and compare
// values per row.

/** The transaction-local setting that says this transaction moved the generation already. */
const MOVED = 'riposte.identity_generation_moved';

const watchedUpdates = WATCHED.filter(watchedUpdate);

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql
    .raw(
      `create function riposte_identity_moved_once() returns trigger language plpgsql as $$
       begin
         if current_setting('${MOVED}', true) is distinct from 'yes' then
           ${BUMP};
           perform set_config('${MOVED}', 'yes', true);
         end if;
         return null;
       end $$`,
    )
    .execute(db);
  for (const watched of watchedUpdates) {
    await sql.raw(`drop trigger identity_${watched.name} on ${watched.table}`).execute(db);
    await sql.raw(`drop function riposte_identity_${watched.name}()`).execute(db);
    const changed = watched.columns.map((column) => `old.${column} is distinct from new.${column}`).join(' or ');
    // AFTER, as before: the generation's row is locked once the statement holds all of its own.
    await sql
      .raw(
        `create trigger identity_${watched.name} after update of ${watched.columns.join(', ')} on ${watched.table} for each row
         when ((${changed}) and current_setting('${MOVED}', true) is distinct from 'yes')
         execute function riposte_identity_moved_once()`,
      )
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const watched of watchedUpdates) {
    await sql.raw(`drop trigger identity_${watched.name} on ${watched.table}`).execute(db);
    await createUpdateTrigger(db, watched);
  }
  await sql`drop function riposte_identity_moved_once()`.execute(db);
}
