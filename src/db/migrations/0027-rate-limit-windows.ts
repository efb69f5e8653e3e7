import type { Kysely } from 'kysely';

// Request rate limits (README, "Process roles") count in the database, so that
// every process of a cluster shares them: one row per (route, client) key
// holding the current fixed window's start and count.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_limit_windows')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('started_ms', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limit_windows_started').on('rate_limit_windows').column('started_ms').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limit_windows').execute();
}
