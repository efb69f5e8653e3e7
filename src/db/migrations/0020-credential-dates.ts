import { sql, type Kysely } from 'kysely';

// When each account-level credential was last set, so that an incident's
// to-do list and selectors can find those that predate its cutoff: an OAuth
// client's secret (the row's `updated_at` also moves on a rename), the JWT
// shared secret and the SAML configuration (`sso_configs.updated_at` moves on
// any change). Rows from before take the best date recorded: the client's
// creation; the JWT secret's data key's creation (a key sealed before 0016
// names no place, so the configuration's last change stands in); the
// configuration's last change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_clients').addColumn('secret_set_at', 'text').execute();
  await db.schema.alterTable('sso_configs').addColumn('jwt_secret_set_at', 'text').execute();
  await db.schema.alterTable('sso_configs').addColumn('saml_configured_at', 'text').execute();
  await sql`update oauth_clients set secret_set_at = created_at where secret_hash is not null`.execute(db);
  await sql`
    update sso_configs set jwt_secret_set_at = coalesce(
      (select max(data_keys.created_at) from data_keys
        where data_keys.account_id = sso_configs.account_id
          and data_keys.sealed_for = 'sso_configs.jwt_secret_sealed.' || sso_configs.account_id),
      updated_at)
    where jwt_secret_sealed is not null`.execute(db);
  await sql`update sso_configs set saml_configured_at = updated_at where saml_idp_certificate is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sso_configs').dropColumn('saml_configured_at').execute();
  await db.schema.alterTable('sso_configs').dropColumn('jwt_secret_set_at').execute();
  await db.schema.alterTable('oauth_clients').dropColumn('secret_set_at').execute();
}
