import type { Kysely } from 'kysely';

// Incidents are platform-wide flows (one breach touches many accounts), so
// their keys do not lead with account_id. Timestamps are ISO-8601 text.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('became_aware_at', 'text', (c) => c.notNull())
    .addColumn('exposure_starts_at', 'text')
    .addColumn('exposure_ends_at', 'text')
    .addColumn('cutoff', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .execute();

  // The timeline: append-only, numbered per incident.
  await db.schema
    .createTable('incident_events')
    .addColumn('incident_id', 'bigint', (c) => c.notNull().references('incidents.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    // JSON object; what the event's kind carries.
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_events_pk', ['incident_id', 'seq'])
    .execute();

  await db.schema
    .createTable('incident_tasks')
    .addColumn('incident_id', 'bigint', (c) => c.notNull().references('incidents.id'))
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('due_at', 'text')
    .addColumn('done_at', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_tasks_pk', ['incident_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('incident_tasks').execute();
  await db.schema.dropTable('incident_events').execute();
  await db.schema.dropTable('incidents').execute();
}
