import type { Kysely } from 'kysely';

// The exposed password, watched (README, "The exposed password, watched").
// When a rotation campaign flags a credential, the hash it held then (the one
// the breach exposed, legacy or wrapped as stored) is kept sealed with the
// envelope service, apart from the live one: a later attempt presenting that
// password is recorded, refused like any wrong one, and alerted on.
// `exposed_password_attempts` keeps each such attempt for the throttled alert
// mail (`alerted_at` once a mail summarised it) and the stuffing check.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('exposed_password_hashes')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('incident_id', 'bigint', (c) => c.notNull())
    .addColumn('hash_sealed', 'text', (c) => c.notNull())
    .addColumn('flagged_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('exposed_password_hashes_pk', ['account_id', 'user_id', 'incident_id'])
    .execute();
  await db.schema.createIndex('exposed_password_hashes_incident').on('exposed_password_hashes').column('incident_id').execute();

  await db.schema
    .createTable('exposed_password_attempts')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('incident_id', 'bigint', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('stuffing', 'integer', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('alerted_at', 'text')
    .addPrimaryKeyConstraint('exposed_password_attempts_pk', ['account_id', 'id'])
    .execute();
  await db.schema
    .createIndex('exposed_password_attempts_pending')
    .on('exposed_password_attempts')
    .columns(['account_id', 'alerted_at', 'occurred_at'])
    .execute();
  await db.schema
    .createIndex('exposed_password_attempts_source')
    .on('exposed_password_attempts')
    .columns(['account_id', 'ip', 'occurred_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('exposed_password_attempts').execute();
  await db.schema.dropTable('exposed_password_hashes').execute();
}
