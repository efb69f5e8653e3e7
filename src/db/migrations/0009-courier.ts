import type { Kysely } from 'kysely';

// Delivery state of the outbox (courier): a sender holds a message under a
// lease while it talks to the server, so a crashed sender's message is taken
// up again once the lease runs out; the server's last answer is kept, and
// incident notices carry their incident for the operators' report.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('lease_expires_at', 'text').execute();
  await db.schema.alterTable('messages').addColumn('last_response', 'text').execute();
  await db.schema.alterTable('messages').addColumn('message_id', 'text').execute();
  await db.schema.alterTable('messages').addColumn('incident_id', 'bigint').execute();
  await db.schema.createIndex('messages_incident').on('messages').columns(['incident_id', 'account_id', 'state']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_incident').execute();
  for (const column of ['incident_id', 'message_id', 'last_response', 'lease_expires_at']) {
    await db.schema.alterTable('messages').dropColumn(column).execute();
  }
}
