import type { Kysely } from 'kysely';

// Advisories are public articles about platform-wide incidents: no account id.
// Content is kept as revisions written once each; the translation row points at
// the newest revision and remembers which source revision it was written from,
// so `outdated` is a comparison of two numbers, not a flag to keep in step.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('advisories')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('incident_id', 'bigint', (c) => c.references('incidents.id'))
    .addColumn('source_locale', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text')
    .execute();
  await db.schema.createIndex('advisories_incident').on('advisories').columns(['incident_id']).execute();

  await db.schema
    .createTable('advisory_translations')
    .addColumn('advisory_id', 'bigint', (c) => c.notNull().references('advisories.id'))
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('source_revision', 'integer', (c) => c.notNull())
    .addColumn('machine_translated', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('edited_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('advisory_translations_pk', ['advisory_id', 'locale'])
    .execute();

  // Every version of every translation, written once and never updated.
  await db.schema
    .createTable('advisory_revisions')
    .addColumn('advisory_id', 'bigint', (c) => c.notNull().references('advisories.id'))
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('source_revision', 'integer', (c) => c.notNull())
    .addColumn('machine_translated', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('advisory_revisions_pk', ['advisory_id', 'locale', 'revision'])
    .execute();

  // Dated updates: appended, numbered per advisory, never rewritten.
  await db.schema
    .createTable('advisory_updates')
    .addColumn('advisory_id', 'bigint', (c) => c.notNull().references('advisories.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('posted_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('advisory_updates_pk', ['advisory_id', 'seq'])
    .execute();

  // One body per update and locale, written once; a translation is added, never replaced.
  await db.schema
    .createTable('advisory_update_bodies')
    .addColumn('advisory_id', 'bigint', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('machine_translated', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('advisory_update_bodies_pk', ['advisory_id', 'seq', 'locale'])
    .addForeignKeyConstraint('advisory_update_bodies_update', ['advisory_id', 'seq'], 'advisory_updates', ['advisory_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('advisory_update_bodies').execute();
  await db.schema.dropTable('advisory_updates').execute();
  await db.schema.dropTable('advisory_revisions').execute();
  await db.schema.dropTable('advisory_translations').execute();
  await db.schema.dropTable('advisories').execute();
}
