import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Caches of who may authenticate (README, "How fast a revocation reaches every
// process"). `identity_changes.generation` moves with every committed change
// that could end or alter an authentication: a user's standing or identity
// (not its last sign-in), an account, a deletion marker, an API token's
// removal. The database moves it, by triggers, so no code path can forget to;
// every process polls the one row and drops what it cached when it moved.
const WATCHED: ReadonlyArray<{ name: string; table: string; event: string }> = [
  {
    name: 'users_changed',
    table: 'users',
    event: 'update of account_id, id, realm, role, name, email, phone, locale, active, sso, products_mask, external_id',
  },
  { name: 'users_deleted', table: 'users', event: 'delete' },
  { name: 'accounts_added', table: 'accounts', event: 'insert' },
  { name: 'accounts_changed', table: 'accounts', event: 'update' },
  { name: 'accounts_deleted', table: 'accounts', event: 'delete' },
  { name: 'user_deletions_added', table: 'user_deletions', event: 'insert' },
  { name: 'user_deletions_removed', table: 'user_deletions', event: 'delete' },
  { name: 'api_tokens_changed', table: 'api_tokens', event: 'update of account_id, id, token_hash' },
  { name: 'api_tokens_deleted', table: 'api_tokens', event: 'delete' },
];

const BUMP = 'update identity_changes set generation = generation + 1 where id = 1';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('identity_changes')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into identity_changes (id, generation) values (1, 0)`.execute(db);
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql
      .raw(`create function riposte_identity_changed() returns trigger language plpgsql as $$ begin ${BUMP}; return null; end $$`)
      .execute(db);
    // Once per statement: a bulk change moves the generation once.
    for (const { name, table, event } of WATCHED) {
      await sql
        .raw(`create trigger identity_${name} after ${event} on ${table} for each statement execute function riposte_identity_changed()`)
        .execute(db);
    }
    return;
  }
  for (const { name, table, event } of WATCHED) {
    await sql.raw(`create trigger identity_${name} after ${event} on ${table} for each row begin ${BUMP}; end`).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const { name, table } of WATCHED) {
    const onTable = db.getExecutor().adapter instanceof PostgresAdapter ? ` on ${table}` : '';
    await sql.raw(`drop trigger if exists identity_${name}${onTable}`).execute(db);
  }
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`drop function if exists riposte_identity_changed()`.execute(db);
  await db.schema.dropTable('identity_changes').execute();
}
