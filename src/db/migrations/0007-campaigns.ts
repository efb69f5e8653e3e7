import type { Kysely } from 'kysely';

// Rotation campaigns are platform-wide flows like incidents (one campaign
// spans many accounts), so `rotation_campaigns` is keyed by its own id; the
// frozen target set leads with the campaign, then the tenant key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rotation_campaigns')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('incident_id', 'bigint', (c) => c.notNull().references('incidents.id'))
    // JSON: the selector as parsed (normalised) when the campaign was drafted.
    .addColumn('selector', 'text', (c) => c.notNull())
    .addColumn('cutoff', 'text', (c) => c.notNull())
    .addColumn('revoke_sessions', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('batch_size', 'integer', (c) => c.notNull())
    .addColumn('batches', 'integer', (c) => c.notNull().defaultTo(0))
    // Bumped by every start, resume and run, so each gets fresh job keys (see campaigns.jobs.ts).
    .addColumn('run_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('done', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('rotation_campaigns_incident').on('rotation_campaigns').columns(['incident_id']).execute();

  // The frozen target set: written once when the campaign starts, then only
  // `flagged_at` changes, when the target's batch is applied.
  await db.schema
    .createTable('campaign_targets')
    .addColumn('campaign_id', 'bigint', (c) => c.notNull())
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('batch', 'integer', (c) => c.notNull())
    .addColumn('flagged_at', 'text')
    .addPrimaryKeyConstraint('campaign_targets_pk', ['campaign_id', 'account_id', 'user_id'])
    .execute();
  await db.schema.createIndex('campaign_targets_batch').on('campaign_targets').columns(['campaign_id', 'batch']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('campaign_targets').execute();
  await db.schema.dropTable('rotation_campaigns').execute();
}
