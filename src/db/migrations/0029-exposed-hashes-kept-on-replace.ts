import type { Kysely } from 'kysely';

// A flagged credential's exposed hash is kept when it is replaced, not when
// the rotation batch flags it (README, "The exposed password, watched"): the
// column says when it was kept. No query reads the hashes by incident any
// more, so their incident index only cost every insert.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('exposed_password_hashes').renameColumn('flagged_at', 'kept_at').execute();
  await db.schema.dropIndex('exposed_password_hashes_incident').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('exposed_password_hashes_incident').on('exposed_password_hashes').column('incident_id').execute();
  await db.schema.alterTable('exposed_password_hashes').renameColumn('kept_at', 'flagged_at').execute();
}
