import type { Kysely } from 'kysely';

// Portable types only: integer, bigint, text. Timestamps are ISO strings.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('id_sequences')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('next_id', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('subdomain', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('activated_at', 'text')
    .addColumn('host_mapping', 'text', (c) => c.unique())
    .addColumn('owner_email', 'text', (c) => c.notNull())
    .addColumn('security_contact_email', 'text')
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('products_mask', 'integer', (c) => c.notNull())
    .addColumn('password_api_access', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('realm', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('locale', 'text')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('sso', 'integer', (c) => c.notNull())
    .addColumn('products_mask', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .addPrimaryKeyConstraint('users_pk', ['account_id', 'id'])
    .addUniqueConstraint('users_email_unique', ['account_id', 'realm', 'email'])
    .execute();

  await db.schema
    .createTable('password_credentials')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('password_changed_at', 'text', (c) => c.notNull())
    .addColumn('must_change', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('must_change_reason', 'text')
    .addColumn('must_change_incident_id', 'bigint')
    .addPrimaryKeyConstraint('password_credentials_pk', ['account_id', 'user_id'])
    .addForeignKeyConstraint('password_credentials_user_fk', ['account_id', 'user_id'], 'users', ['account_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  // Append-only: no foreign key, so the trail outlives what it describes.
  await db.schema
    .createTable('audit_events')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_events_pk', ['account_id', 'seq'])
    .execute();

  await db.schema
    .createTable('audit_heads')
    .addColumn('account_id', 'bigint', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('data_keys')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('data_keys_pk', ['account_id', 'id'])
    .execute();
  await db.schema.createIndex('data_keys_kek_version').on('data_keys').columns(['kek_version']).execute();

  // In-process job runner of the embedded default (PostgreSQL uses pg-boss's own schema).
  await db.schema
    .createTable('local_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('singleton_key', 'text', (c) => c.unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('local_jobs_ready').on('local_jobs').columns(['state', 'run_at']).execute();

  // Selector and scope queries filter users by these.
  await db.schema.createIndex('users_created_at').on('users').columns(['account_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'local_jobs',
    'data_keys',
    'audit_heads',
    'audit_events',
    'password_credentials',
    'users',
    'accounts',
    'id_sequences',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
