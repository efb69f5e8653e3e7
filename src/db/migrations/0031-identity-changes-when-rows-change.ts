import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { BUMP, createRowTriggers, createStatementTriggers, dropTriggers, WATCHED, type WatchedChange } from './0026-identity-changes.js';

// Migration 0026's triggers moved the identity generation for statements that
// changed nothing an authentication depends on: on PostgreSQL, a statement
// trigger fires for an UPDATE or DELETE of no row; on both, an update that sets
// a watched column to the value it had fires too. Each moved generation makes
// every process drop every verified API token it holds. Now the generation
// moves only when a row was inserted or deleted, or a watched value changed:
// PostgreSQL reads the statement's transition tables, SQLite's row triggers
// compare old and new values.

export const watchedUpdate = (watched: WatchedChange): watched is WatchedChange & { columns: readonly string[] } =>
  watched.event === 'update' && watched.columns !== undefined;

/**
 * PostgreSQL: a statement trigger on a watched update that moves the generation
 * when the watched columns' old and new values differ as multisets, which is
 * exactly when some row's changed.
 */
export async function createUpdateTrigger(db: Kysely<unknown>, watched: WatchedChange & { columns: readonly string[] }): Promise<void> {
  const columns = watched.columns.join(', ');
  await sql
    .raw(
      `create function riposte_identity_${watched.name}() returns trigger language plpgsql as $$
       begin
         if exists (select ${columns} from new_rows except all select ${columns} from old_rows) then ${BUMP}; end if;
         return null;
       end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger identity_${watched.name} after update on ${watched.table} referencing old table as old_rows new table as new_rows
       for each statement execute function riposte_identity_${watched.name}()`,
    )
    .execute(db);
}

async function createPostgresTriggers(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `create function riposte_identity_rows_changed() returns trigger language plpgsql as $$
       begin if exists (select from changed_rows) then ${BUMP}; end if; return null; end $$`,
    )
    .execute(db);
  for (const watched of WATCHED) {
    const on = `after ${watched.event} on ${watched.table}`;
    if (watchedUpdate(watched)) {
      await createUpdateTrigger(db, watched);
      continue;
    }
    const rows = watched.event === 'delete' ? 'old table as changed_rows' : 'new table as changed_rows';
    await sql
      .raw(
        `create trigger identity_${watched.name} ${on} referencing ${rows} for each statement execute function riposte_identity_rows_changed()`,
      )
      .execute(db);
  }
}

/** On SQLite, an update trigger's rows whose watched values differ (`IS NOT` compares nulls as values). */
const watchedValueChanged = (watched: WatchedChange): string =>
  watchedUpdate(watched) ? watched.columns.map((column) => `old.${column} is not new.${column}`).join(' or ') : '';

export async function up(db: Kysely<unknown>): Promise<void> {
  await dropTriggers(db);
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop function riposte_identity_changed()`.execute(db);
    await createPostgresTriggers(db);
  } else {
    await createRowTriggers(db, watchedValueChanged);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropTriggers(db);
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop function riposte_identity_rows_changed()`.execute(db);
    for (const watched of WATCHED.filter(watchedUpdate)) await sql.raw(`drop function riposte_identity_${watched.name}()`).execute(db);
    await createStatementTriggers(db);
  } else {
    await createRowTriggers(db);
  }
}
