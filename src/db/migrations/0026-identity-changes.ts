import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Caches of who may authenticate (README, "How fast a revocation reaches every
// process"). `identity_changes.generation` moves with every committed change
// that could end or alter an authentication: a user's standing or identity
// (not its last sign-in), an account, a deletion marker, an API token's
// removal. The database moves it, by triggers, so no code path can forget to;
// every process polls the one row and drops what it cached when it moved.
export interface WatchedChange {
  name: string;
  table: string;
  event: 'insert' | 'update' | 'delete';
  /** An update moves the generation only through these columns; every column when absent. */
  columns?: readonly string[];
}

export const WATCHED: readonly WatchedChange[] = [
  {
    name: 'users_changed',
    table: 'users',
    event: 'update',
    columns: ['account_id', 'id', 'realm', 'role', 'name', 'email', 'phone', 'locale', 'active', 'sso', 'products_mask', 'external_id'],
  },
  { name: 'users_deleted', table: 'users', event: 'delete' },
  { name: 'accounts_added', table: 'accounts', event: 'insert' },
  { name: 'accounts_changed', table: 'accounts', event: 'update' },
  { name: 'accounts_deleted', table: 'accounts', event: 'delete' },
  { name: 'user_deletions_added', table: 'user_deletions', event: 'insert' },
  { name: 'user_deletions_removed', table: 'user_deletions', event: 'delete' },
  { name: 'api_tokens_changed', table: 'api_tokens', event: 'update', columns: ['account_id', 'id', 'token_hash'] },
  { name: 'api_tokens_deleted', table: 'api_tokens', event: 'delete' },
];

export const BUMP = 'update identity_changes set generation = generation + 1 where id = 1';

const eventOf = ({ event, columns }: WatchedChange): string => (columns === undefined ? event : `${event} of ${columns.join(', ')}`);

/** PostgreSQL's triggers as this migration made them: once per statement, whatever it changed. */
export async function createStatementTriggers(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`create function riposte_identity_changed() returns trigger language plpgsql as $$ begin ${BUMP}; return null; end $$`)
    .execute(db);
  for (const watched of WATCHED) {
    await sql
      .raw(
        `create trigger identity_${watched.name} after ${eventOf(watched)} on ${watched.table} for each statement execute function riposte_identity_changed()`,
      )
      .execute(db);
  }
}

/**
 * SQLite's triggers: once per row. As this migration made them, for any row a
 * watched column was set on; `when` narrows a trigger to the rows it names.
 */
export async function createRowTriggers(db: Kysely<unknown>, when: (watched: WatchedChange) => string = () => ''): Promise<void> {
  for (const watched of WATCHED) {
    const condition = when(watched);
    await sql
      .raw(
        `create trigger identity_${watched.name} after ${eventOf(watched)} on ${watched.table} for each row${condition === '' ? '' : ` when ${condition}`} begin ${BUMP}; end`,
      )
      .execute(db);
  }
}

export async function dropTriggers(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const { name, table } of WATCHED)
    await sql.raw(`drop trigger if exists identity_${name}${postgres ? ` on ${table}` : ''}`).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('identity_changes')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into identity_changes (id, generation) values (1, 0)`.execute(db);
  // Once per statement on PostgreSQL: a bulk change moves the generation once.
  if (db.getExecutor().adapter instanceof PostgresAdapter) await createStatementTriggers(db);
  else await createRowTriggers(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropTriggers(db);
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`drop function if exists riposte_identity_changed()`.execute(db);
  await db.schema.dropTable('identity_changes').execute();
}
