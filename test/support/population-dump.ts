import type { DatabaseHandle } from '../../src/db/database.js';

/** Every row an import or a demo may write, in a stable order, to compare two databases or two moments. */
export async function dumpPopulation(database: Pick<DatabaseHandle, 'db'>): Promise<Record<string, unknown[]>> {
  const { db } = database;
  return {
    accounts: await db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    users: await db.selectFrom('users').selectAll().orderBy('account_id').orderBy('id').execute(),
    credentials: await db.selectFrom('password_credentials').selectAll().orderBy('account_id').orderBy('user_id').execute(),
    audit: await db.selectFrom('audit_events').selectAll().orderBy('account_id').orderBy('seq').execute(),
    sequences: await db.selectFrom('id_sequences').selectAll().orderBy('name').execute(),
  };
}
