import type { Kysely } from 'kysely';

// Security events leave Riposte through an outbox (README, "Security events out"):
// `security_events` is filled in the transaction of the audit event it
// announces, so an event exists exactly when its change committed; a job then
// writes it to the SIEM stream and fans it out to `webhook_deliveries`, one row
// per (event, subscription), each retried on its own with backoff.
// Operators' subscriptions (every account's events) carry account_id 0, the
// platform's chain.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('security_events')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('audit_seq', 'bigint', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('dispatched_at', 'text')
    .addPrimaryKeyConstraint('security_events_pk', ['account_id', 'audit_seq'])
    .execute();
  await db.schema.createIndex('security_events_pending').on('security_events').columns(['dispatched_at', 'occurred_at']).execute();

  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text')
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_subscriptions_pk', ['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('subscription_id', 'bigint', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['account_id', 'subscription_id', 'event_id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_subscriptions').execute();
  await db.schema.dropTable('security_events').execute();
}
