import { sql, type Kysely } from 'kysely';

// Risk by hash strength (README, "Risk by hash strength").
//
// password_credentials: the hash a password was exposed with is the one in
// place at the incident's exposure time, and a hash is replaced without the
// password changing when it is wrapped in argon2id at rest or upgraded at
// sign-in. `superseded_hash_tier` keeps the tier the password was stored
// with before its first such replacement (only when weaker than moderate),
// `hash_superseded_at` when it happened; a new password clears both.
// `api_revoked_at` / `api_revoked_incident_id`: a campaign revoked the
// user's `email:password` API access; a new password clears them.
//
// Rows from before are filled from the audit trail, erring towards the weak
// tier: a wrapped hash takes its inner scheme's tier and, as its wrapping
// time, the account's last `password.wrapped` event (no earlier than the
// wrapping itself; none left: an unknown time, weak at every exposure); an
// argon2id hash upgraded at sign-in from a legacy one since its password
// was set takes the tier of the `password.upgraded` event's `from` scheme
// (bcrypt and PBKDF2 at their weakest, `high`, since the event kept no
// cost) and that event's time.
//
// scope_accounts.hash_tiers: JSON counts per tier of the account's exposed
// password credentials (password_hashes); null when that category is not
// exposed for the account, or for snapshots from before.
// rotation_campaigns: `batch_order` (`by_account` | `weakest_first`),
// `revoke_api_passwords` (`none` | `critical` | `critical_and_high`),
// `targets_by_tier` (JSON, once frozen), `api_passwords_revoked` (once
// started). campaign_targets.hash_tier: the target's tier, frozen with it.

/** The tier of the legacy hash inside a `$wrapped$SCHEME$PARAMS$argon2id$...` string, by prefix and cost (see hash-strength.ts). */
const wrappedInnerTier = sql`case
  when password_hash like '$wrapped$sha1$%' or password_hash like '$wrapped$sha256$%' then 'critical'
  when password_hash like '$wrapped$bcrypt$%' then case
    when substr(password_hash, 24, 2) in ('04', '05', '06', '07', '08', '09') then 'high' else 'moderate' end
  when password_hash like '$wrapped$pbkdf2-sha256$i=%' then case
    -- Six digits from the 26th character: 100,000 iterations or more (past a shorter count come '$' and the salt, which may hold digits).
    when substr(password_hash, 26, 1) in ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
      and substr(password_hash, 27, 1) in ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
      and substr(password_hash, 28, 1) in ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
      and substr(password_hash, 29, 1) in ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
      and substr(password_hash, 30, 1) in ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
      and substr(password_hash, 31, 1) in ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9') then 'moderate' else 'high' end
  else 'critical' end`;

/** The tier of an upgraded event's `from` scheme (its data is compact JSON): no cost was kept, so bcrypt and PBKDF2 are `high`. */
const upgradedFromTier = sql`case
  when e.data like '%"from":"bcrypt"%' or e.data like '%"from":"pbkdf2-sha256"%' then 'high'
  else 'critical' end`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('password_credentials').addColumn('superseded_hash_tier', 'text').execute();
  await db.schema.alterTable('password_credentials').addColumn('hash_superseded_at', 'text').execute();
  await db.schema.alterTable('password_credentials').addColumn('api_revoked_at', 'text').execute();
  await db.schema.alterTable('password_credentials').addColumn('api_revoked_incident_id', 'bigint').execute();

  await sql`update password_credentials set superseded_hash_tier = ${wrappedInnerTier} where password_hash like '$wrapped$%'`.execute(db);
  await sql`update password_credentials set superseded_hash_tier = null where superseded_hash_tier = 'moderate'`.execute(db);
  await sql`
    update password_credentials set hash_superseded_at = w.at
    from (select account_id, max(occurred_at) as at from audit_events where action = 'password.wrapped' group by account_id) w
    where w.account_id = password_credentials.account_id
      and password_credentials.superseded_hash_tier is not null`.execute(db);
  await sql`
    update password_credentials set superseded_hash_tier = u.tier, hash_superseded_at = u.at
    from (
      select e.account_id, cast(e.target_id as bigint) as user_id, e.occurred_at as at, ${upgradedFromTier} as tier
      from audit_events e
      where e.action = 'password.upgraded' and e.target_type = 'user' and e.data not like '%"from":"argon2id"%'
    ) u
    where u.account_id = password_credentials.account_id
      and u.user_id = password_credentials.user_id
      and u.at >= password_credentials.password_changed_at
      and password_credentials.password_hash like '$argon2id$%'`.execute(db);

  await db.schema.alterTable('scope_accounts').addColumn('hash_tiers', 'text').execute();

  await db.schema
    .alterTable('rotation_campaigns')
    .addColumn('batch_order', 'text', (c) => c.notNull().defaultTo('by_account'))
    .execute();
  await db.schema
    .alterTable('rotation_campaigns')
    .addColumn('revoke_api_passwords', 'text', (c) => c.notNull().defaultTo('none'))
    .execute();
  await db.schema.alterTable('rotation_campaigns').addColumn('targets_by_tier', 'text').execute();
  await db.schema.alterTable('rotation_campaigns').addColumn('api_passwords_revoked', 'bigint').execute();
  await db.schema.alterTable('campaign_targets').addColumn('hash_tier', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('campaign_targets').dropColumn('hash_tier').execute();
  for (const column of ['api_passwords_revoked', 'targets_by_tier', 'revoke_api_passwords', 'batch_order'])
    await db.schema.alterTable('rotation_campaigns').dropColumn(column).execute();
  await db.schema.alterTable('scope_accounts').dropColumn('hash_tiers').execute();
  for (const column of ['api_revoked_incident_id', 'api_revoked_at', 'hash_superseded_at', 'superseded_hash_tier'])
    await db.schema.alterTable('password_credentials').dropColumn(column).execute();
}
