import type { Kysely } from 'kysely';

// Customer-controlled staff access: an account admin's grant lets the vendor's
// staff into the account until it expires or is revoked. Grants are kept after
// they end, so the customer can see every one ever given.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('staff_access_grants')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('duration', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'bigint', (c) => c.notNull())
    .addColumn('granted_at', 'text', (c) => c.notNull())
    // Null for `indefinite`: the grant lasts until revoked.
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'bigint')
    // Set once the expiry has been audited and mailed, so it happens once.
    .addColumn('expiry_recorded_at', 'text')
    .addPrimaryKeyConstraint('staff_access_grants_pk', ['account_id', 'id'])
    .execute();

  // The audit trail API filters an account's events by action (staff.read, staff.write, ...).
  await db.schema.createIndex('audit_events_account_action').on('audit_events').columns(['account_id', 'action', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_account_action').execute();
  await db.schema.dropTable('staff_access_grants').execute();
}
