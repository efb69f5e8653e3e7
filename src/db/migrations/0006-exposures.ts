import type { Kysely } from 'kysely';

// Exposures and scope snapshots belong to an incident, which is platform-wide
// (one breach touches many accounts), so their keys lead with incident_id.
// A scope version is written once and never updated: a change of exposures
// writes the next version.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incident_exposures')
    .addColumn('incident_id', 'bigint', (c) => c.notNull().references('incidents.id'))
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    // 'selector' (selector set) or 'accounts' (account_ids set).
    .addColumn('kind', 'text', (c) => c.notNull())
    // JSON, as parseSelector normalised it.
    .addColumn('selector', 'text')
    // JSON array of account ids, ascending.
    .addColumn('account_ids', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .addPrimaryKeyConstraint('incident_exposures_pk', ['incident_id', 'id'])
    .execute();

  await db.schema
    .createTable('scope_versions')
    .addColumn('incident_id', 'bigint', (c) => c.notNull().references('incidents.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scope_versions_pk', ['incident_id', 'version'])
    .execute();

  await db.schema
    .createTable('scope_accounts')
    .addColumn('incident_id', 'bigint', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    // JSON array of categories, in the order of EXPOSURE_CATEGORIES.
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('people_agents', 'integer', (c) => c.notNull())
    .addColumn('people_end_users', 'integer', (c) => c.notNull())
    // JSON object: category -> approximate number of records.
    .addColumn('records', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scope_accounts_pk', ['incident_id', 'version', 'account_id'])
    .addForeignKeyConstraint('scope_accounts_version_fk', ['incident_id', 'version'], 'scope_versions', ['incident_id', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scope_accounts').execute();
  await db.schema.dropTable('scope_versions').execute();
  await db.schema.dropTable('incident_exposures').execute();
}
