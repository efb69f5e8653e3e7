import type { Kysely } from 'kysely';

// An announced rotation: a campaign may be scheduled to start at a given time
// (its targets frozen and told in advance), and a target who sets a new
// password before their batch runs is left alone and counted as such.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('rotation_campaigns').addColumn('start_at', 'text').execute();
  await db.schema.alterTable('rotation_campaigns').addColumn('scheduled_at', 'text').execute();
  await db.schema
    .alterTable('campaign_targets')
    .addColumn('changed_before_rotation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('campaign_targets').dropColumn('changed_before_rotation').execute();
  await db.schema.alterTable('rotation_campaigns').dropColumn('scheduled_at').execute();
  await db.schema.alterTable('rotation_campaigns').dropColumn('start_at').execute();
}
