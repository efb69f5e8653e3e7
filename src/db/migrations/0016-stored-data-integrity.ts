import type { Kysely } from 'kysely';

// Audit events record the key version their hash is keyed with (null: the
// plain SHA-256 of events written before keying). Data keys record the one
// place they seal, so sealing that place again retires the previous key and
// an older ciphertext restored into the row no longer opens.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('hash_key_version', 'integer').execute();
  await db.schema.alterTable('data_keys').addColumn('sealed_for', 'text').execute();
  await db.schema
    .createIndex('data_keys_sealed_for')
    .on('data_keys')
    .columns(['account_id', 'sealed_for'])
    .unique()
    .where('sealed_for', 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('data_keys_sealed_for').execute();
  await db.schema.alterTable('data_keys').dropColumn('sealed_for').execute();
  await db.schema.alterTable('audit_events').dropColumn('hash_key_version').execute();
}
