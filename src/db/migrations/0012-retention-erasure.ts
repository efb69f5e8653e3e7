import type { Kysely } from 'kysely';

// Erasure and retention. Existing audit events keep their hashes: the new
// columns are null on them, and a null subject and digest hash exactly as before.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('audit_events')
    // The user the personal data is about; erasure finds their events by it.
    .addColumn('subject_user_id', 'bigint')
    .execute();
  // JSON of personal values (email, name, phone, IP): outside the hash, nulled by erasure.
  await db.schema.alterTable('audit_events').addColumn('personal_data', 'text').execute();
  // Random key of the digest below; erased with the data, so the digest can no longer be linked to a guess.
  await db.schema.alterTable('audit_events').addColumn('personal_salt', 'text').execute();
  // HMAC-SHA256(salt, personal_data): covered by the hash, so the data cannot be altered while it exists.
  await db.schema.alterTable('audit_events').addColumn('personal_digest', 'text').execute();
  await db.schema.createIndex('audit_events_subject').on('audit_events').columns(['account_id', 'subject_user_id']).execute();
  await db.schema.createIndex('audit_events_occurred').on('audit_events').columns(['occurred_at']).execute();

  // Where an account's chain starts once its oldest events are purged: the last purged event.
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('account_id', 'bigint', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('purged_at', 'text', (c) => c.notNull())
    .execute();

  // Soft delete (Zendesk's deleted users), then permanent erasure leaving a placeholder row.
  await db.schema
    .createTable('user_deletions')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addColumn('deleted_by', 'bigint')
    .addColumn('erased_at', 'text')
    .addPrimaryKeyConstraint('user_deletions_pk', ['account_id', 'user_id'])
    .execute();

  // Retention scans by age.
  await db.schema.createIndex('sessions_ended').on('sessions').columns(['expires_at']).execute();
  await db.schema.createIndex('sessions_revoked').on('sessions').columns(['revoked_at']).execute();
  await db.schema.createIndex('login_throttles_last_failure').on('login_throttles').columns(['last_failure_at']).execute();
  await db.schema.createIndex('messages_created').on('messages').columns(['created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of ['messages_created', 'login_throttles_last_failure', 'sessions_revoked', 'sessions_ended'])
    await db.schema.dropIndex(index).execute();
  await db.schema.dropTable('user_deletions').execute();
  await db.schema.dropTable('audit_checkpoints').execute();
  await db.schema.dropIndex('audit_events_occurred').execute();
  await db.schema.dropIndex('audit_events_subject').execute();
  for (const column of ['personal_digest', 'personal_salt', 'personal_data', 'subject_user_id'])
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
}
