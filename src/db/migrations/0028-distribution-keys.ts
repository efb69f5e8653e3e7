import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Every per-account table leads its primary key with account_id (DESIGN.md;
// README, "Distributing by account (Citus)"): sign_in_events had its global id
// alone. And exposed-password attempts get the age index their retention reads.
const COLUMNS =
  'id, account_id, occurred_at, last_at, attempts, user_id, channel, outcome, reason, ip, user_agent, identifier, credential_id';

export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table sign_in_events drop constraint sign_in_events_pkey`.execute(db);
    await sql`alter table sign_in_events add constraint sign_in_events_pk primary key (account_id, id)`.execute(db);
  } else {
    // SQLite cannot change a primary key: the table is rebuilt, its indexes with it.
    await sql`
      create table sign_in_events_rebuilt (
        id bigint not null, account_id bigint not null, occurred_at text not null, last_at text not null,
        attempts integer not null, user_id bigint, channel text not null, outcome text not null, reason text,
        ip text, user_agent text, identifier text, credential_id bigint,
        constraint sign_in_events_pk primary key (account_id, id)
      )`.execute(db);
    await sql.raw(`insert into sign_in_events_rebuilt (${COLUMNS}) select ${COLUMNS} from sign_in_events`).execute(db);
    await sql`drop table sign_in_events`.execute(db);
    await sql`alter table sign_in_events_rebuilt rename to sign_in_events`.execute(db);
    await db.schema.createIndex('sign_in_events_account_time').on('sign_in_events').columns(['account_id', 'occurred_at', 'id']).execute();
    await db.schema
      .createIndex('sign_in_events_account_user_time')
      .on('sign_in_events')
      .columns(['account_id', 'user_id', 'occurred_at', 'id'])
      .execute();
    await db.schema.createIndex('sign_in_events_time').on('sign_in_events').column('occurred_at').execute();
  }
  await db.schema.createIndex('exposed_password_attempts_time').on('exposed_password_attempts').column('occurred_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('exposed_password_attempts_time').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table sign_in_events drop constraint sign_in_events_pk`.execute(db);
    await sql`alter table sign_in_events add constraint sign_in_events_pkey primary key (id)`.execute(db);
  }
}
