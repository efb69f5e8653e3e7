import type { Kysely } from 'kysely';

// Credentials beyond the password itself. Every secret is stored as a hash
// (tokens, codes) or sealed by the keyring (SSO shared secrets).
export async function up(db: Kysely<unknown>): Promise<void> {
  // SSO users are matched by the identity provider's id when it sends one.
  await db.schema.alterTable('users').addColumn('external_id', 'text').execute();

  await db.schema
    .createTable('password_history')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('password_history_pk', ['account_id', 'user_id', 'id'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_reason', 'text')
    .addPrimaryKeyConstraint('sessions_pk', ['account_id', 'id'])
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').columns(['account_id', 'user_id']).execute();

  // The short-lived, single-use step between a correct password and a forced change.
  await db.schema
    .createTable('password_change_steps')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addPrimaryKeyConstraint('password_change_steps_pk', ['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('login_throttles')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addPrimaryKeyConstraint('login_throttles_pk', ['account_id', 'subject'])
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('token_hint', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_by', 'bigint')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addPrimaryKeyConstraint('api_tokens_pk', ['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('oauth_clients')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth_clients_pk', ['account_id', 'id'])
    .addUniqueConstraint('oauth_clients_identifier_unique', ['account_id', 'identifier'])
    .execute();

  await db.schema
    .createTable('oauth_tokens')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('client_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('refresh_token_hash', 'text', (c) => c.unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('refresh_expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .addPrimaryKeyConstraint('oauth_tokens_pk', ['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('oauth_codes')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('client_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text')
    .addColumn('code_challenge_method', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addPrimaryKeyConstraint('oauth_codes_pk', ['account_id', 'code_hash'])
    .execute();

  await db.schema
    .createTable('sso_configs')
    .addColumn('account_id', 'bigint', (c) => c.primaryKey())
    .addColumn('jwt_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('jwt_secret_sealed', 'text')
    .addColumn('jwt_remote_login_url', 'text')
    .addColumn('saml_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('saml_idp_sso_url', 'text')
    .addColumn('saml_idp_certificate', 'text')
    .addColumn('saml_idp_entity_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sso_replays')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_replays_pk', ['account_id', 'assertion_id'])
    .execute();

  // The courier outbox. Messages wait here until the courier sends them.
  await db.schema
    .createTable('messages')
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('template_data', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addPrimaryKeyConstraint('messages_pk', ['account_id', 'id'])
    .addUniqueConstraint('messages_idempotency_unique', ['account_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('messages_due').on('messages').columns(['state', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'messages',
    'sso_replays',
    'sso_configs',
    'oauth_codes',
    'oauth_tokens',
    'oauth_clients',
    'api_tokens',
    'login_throttles',
    'password_change_steps',
    'sessions',
    'password_history',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('users').dropColumn('external_id').execute();
}
