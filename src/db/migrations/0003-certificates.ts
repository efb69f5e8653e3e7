import type { Kysely } from 'kysely';

// Customers' TLS certificates for their mapped domains. The chain is public;
// the private key is sealed by the keyring (`private_key_sealed`).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('certificates')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('hostnames', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('serial_number', 'text', (c) => c.notNull())
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
    .addColumn('key_algorithm', 'text', (c) => c.notNull())
    .addColumn('key_bits', 'integer', (c) => c.notNull())
    .addColumn('key_curve', 'text')
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'bigint')
    .addColumn('uploaded_at', 'text', (c) => c.notNull())
    .addColumn('activated_at', 'text')
    .addColumn('superseded_at', 'text')
    .addColumn('superseded_by', 'bigint')
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'bigint')
    .addPrimaryKeyConstraint('certificates_pk', ['account_id', 'id'])
    .execute();
  await db.schema.createIndex('certificates_state').on('certificates').columns(['account_id', 'state']).execute();
  await db.schema.createIndex('certificates_fingerprint').on('certificates').columns(['account_id', 'fingerprint_sha256']).execute();
  // The exposure inventory across accounts filters on the upload date first.
  await db.schema.createIndex('certificates_uploaded_at').on('certificates').columns(['uploaded_at']).execute();

  // One row whose version moves with every change to what is served; each
  // HTTPS process polls it (a primary-key read) to drop its cached contexts.
  await db.schema
    .createTable('certificate_changes')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('certificate_changes').execute();
  await db.schema.dropTable('certificates').execute();
}
