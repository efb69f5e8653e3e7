import { sql, type Kysely } from 'kysely';

// Login throttling locks (email, client address) pairs instead of emails, so
// nobody can lock anyone else out; per-email and per-account counters now
// only count, over a fixed window, and raise an alert once per window.
export async function up(db: Kysely<unknown>): Promise<void> {
  // The email a pair or email counter is about, so erasure and alerts find its rows.
  await db.schema.alterTable('login_throttles').addColumn('email', 'text').execute();
  // Start of the fixed window of a counting (not locking) counter: per-email, per-account, per-address budget.
  await db.schema.alterTable('login_throttles').addColumn('window_started_at', 'text').execute();
  // When this window's alert was raised; at most one per window.
  await db.schema.alterTable('login_throttles').addColumn('alerted_at', 'text').execute();
  await db.schema.createIndex('login_throttles_email').on('login_throttles').columns(['account_id', 'email']).execute();
  // Email counters no longer lock: drop their locks, and note their email.
  await sql`update login_throttles set email = substr(subject, 7), locked_until = null where subject like 'email:%'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('login_throttles_email').execute();
  for (const column of ['alerted_at', 'window_started_at', 'email'])
    await db.schema.alterTable('login_throttles').dropColumn(column).execute();
}
