import { sql, type Kysely } from 'kysely';

// The account owner by user id, not by email: an email can be changed, an id
// cannot, so renaming the owner no longer makes them someone else. Linked to
// the live core-realm user with the owner email, where there is one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('owner_user_id', 'bigint').execute();
  await sql`
    update accounts set owner_user_id = (
      select min(u.id) from users u
      where u.account_id = accounts.id and u.realm = 'core' and u.email = lower(accounts.owner_email)
        and not exists (select 1 from user_deletions d where d.account_id = u.account_id and d.user_id = u.id)
    )`.execute(db);
  // Deleted users reinstated before deletion was made final (a staff unsuspend): suspended again.
  await sql`
    update users set active = 0
    where active = 1 and exists (select 1 from user_deletions d where d.account_id = users.account_id and d.user_id = users.id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('owner_user_id').execute();
}
