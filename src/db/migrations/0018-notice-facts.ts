import type { Kysely } from 'kysely';

// What a notice must say that nothing recorded: when each user last called the
// API with `email:password` (Basic auth), so the customer notice can count the
// integrations a password change will break and the user notice can tell their
// owners; and which completed tasks of an incident are public, so that "what we
// have done" comes from the incident itself.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Written at most once an hour per user (`PASSWORD_API_USE_STEP_MS`), never on every request.
  await db.schema.alterTable('password_credentials').addColumn('api_used_at', 'text').execute();
  await db.schema
    .alterTable('incident_tasks')
    .addColumn('public', 'integer', (column) => column.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('incident_tasks').dropColumn('public').execute();
  await db.schema.alterTable('password_credentials').dropColumn('api_used_at').execute();
}
