import type { Kysely } from 'kysely';

// Failed messages can be queued again by an operator (`incident notify
// --retry-failed`). `attempts` keeps counting, since a sender's claim is
// identified by it; the retry budget counts from the attempts a message had
// when it was queued again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('messages')
    .addColumn('attempts_at_requeue', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('attempts_at_requeue').execute();
}
