import type { Kysely } from 'kysely';

// Every authentication attempt, on every channel, with its outcome and
// source: what lets a notice say whether an exposed credential was used.
// Identical attempts within one flush of the writer share a row (`attempts`,
// from `occurred_at` to `last_at`), so a flood of them stays a few rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'bigint')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('identifier', 'text')
    .addColumn('credential_id', 'bigint')
    .execute();
  // An account's events by time, and one user's: the two reads admins make.
  await db.schema.createIndex('sign_in_events_account_time').on('sign_in_events').columns(['account_id', 'occurred_at', 'id']).execute();
  await db.schema
    .createIndex('sign_in_events_account_user_time')
    .on('sign_in_events')
    .columns(['account_id', 'user_id', 'occurred_at', 'id'])
    .execute();
  // Retention deletes and truncates by age across accounts.
  await db.schema.createIndex('sign_in_events_time').on('sign_in_events').column('occurred_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sign_in_events').execute();
}
