import type { Kysely } from 'kysely';

// Private apps, app installations and their secure settings. Marketplace
// apps are a data file in the code (modules/apps/marketplace-catalog.json).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('apps')
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('product', 'text', (c) => c.notNull())
    // JSON: [{ name, type, secure, required }], validated by the apps module.
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('created_by', 'bigint')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('apps_pk', ['account_id', 'id'])
    .addUniqueConstraint('apps_name_unique', ['account_id', 'name'])
    .execute();

  await db.schema
    .createTable('app_installations')
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('app_id', 'bigint', (c) => c.notNull())
    .addColumn('product', 'text', (c) => c.notNull())
    // JSON object of the settings that are not secure; secure ones live in installation_secrets.
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'bigint')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_installations_pk', ['account_id', 'id'])
    .execute();
  // The import's natural key (account, app, installation time), and "installed before" scans.
  await db.schema
    .createIndex('app_installations_app_created')
    .on('app_installations')
    .columns(['account_id', 'app_id', 'created_at'])
    .execute();

  // One row per secure field that is set: the sealed value is bound to this
  // table, column `value` and row `<installation_id>:<field>`.
  await db.schema
    .createTable('installation_secrets')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('installation_id', 'bigint', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('set_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('installation_secrets_pk', ['account_id', 'installation_id', 'field'])
    .addForeignKeyConstraint(
      'installation_secrets_installation_fk',
      ['account_id', 'installation_id'],
      'app_installations',
      ['account_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('installation_secrets').execute();
  await db.schema.dropTable('app_installations').execute();
  await db.schema.dropTable('apps').execute();
}
