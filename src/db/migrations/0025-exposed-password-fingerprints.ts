import type { Kysely } from 'kysely';

// Credential stuffing inside an account (README, "The exposed password, watched").
// Once an attempt proves a password is a user's exposed one, its keyed
// fingerprint (HMAC-SHA256 under a key derived from the keyring, never a bare
// hash) is kept, so the same password presented for any other user of the
// account is recognised with one HMAC and one indexed read.
// `exposed_password_attempts.exposed_user_id`: whose exposed password an
// attempt presented (the attempt's own user unless stuffed).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('exposed_password_fingerprints')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('incident_id', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('exposed_password_fingerprints_pk', ['account_id', 'key_version', 'fingerprint'])
    .execute();
  await db.schema
    .createIndex('exposed_password_fingerprints_user')
    .on('exposed_password_fingerprints')
    .columns(['account_id', 'user_id'])
    .execute();
  await db.schema.alterTable('exposed_password_attempts').addColumn('exposed_user_id', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('exposed_password_attempts').dropColumn('exposed_user_id').execute();
  await db.schema.dropTable('exposed_password_fingerprints').execute();
}
