import type { ColumnType, Insertable, Selectable } from 'kysely';
import type {
  IncidentsTable,
  IncidentEventsTable,
  IncidentTasksTable,
  IncidentExposuresTable,
  ScopeVersionsTable,
  ScopeAccountsTable,
  RotationCampaignsTable,
  CampaignTargetsTable,
} from './schema.incidents.js';
import type {
  StaffUsersTable,
  StaffSessionsTable,
  AdvisoriesTable,
  AdvisoryTranslationsTable,
  AdvisoryRevisionsTable,
  AdvisoryUpdatesTable,
  AdvisoryUpdateBodiesTable,
  StaffAccessGrantsTable,
} from './schema.staff.js';
import type {
  AppsTable,
  AppInstallationsTable,
  InstallationSecretsTable,
  CertificatesTable,
  CertificateChangesTable,
} from './schema.apps.js';

export type * from './schema.incidents.js';
export type * from './schema.staff.js';
export type * from './schema.apps.js';

/**
 * Table types. Portable across SQLite and PostgreSQL: timestamps are ISO-8601
 * UTC strings (they sort as text), booleans are 0/1 integers, JSON is text,
 * and product sets are bitmasks (see `platform/products.ts`).
 * Tenant tables lead their primary key with `account_id`.
 */
export type { Flag } from './schema.flag.js';
import type { Flag } from './schema.flag.js';

export interface AccountsTable {
  id: number;
  subdomain: string;
  name: string;
  status: 'trial' | 'active' | 'trial_expired' | 'inactive';
  activated_at: string | null;
  host_mapping: string | null;
  owner_email: string;
  /** The owner's user (core realm), linked from `owner_email` when that user exists; only they change their own email, role, password or state. */
  owner_user_id: number | null;
  security_contact_email: string | null;
  locale: string;
  products_mask: number;
  password_api_access: Flag;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  account_id: number;
  id: number;
  realm: string;
  role: 'end-user' | 'agent' | 'admin';
  name: string;
  email: string;
  phone: string | null;
  locale: string | null;
  active: Flag;
  sso: Flag;
  products_mask: number;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
  external_id: string | null;
}

export interface PasswordCredentialsTable {
  account_id: number;
  user_id: number;
  password_hash: string;
  password_changed_at: string;
  must_change: Flag;
  must_change_reason: string | null;
  must_change_incident_id: number | null;
  /** Last right password on the API's `email:password` Basic auth (migration 0018), to the hour: written only when an hour older. */
  api_used_at: string | null;
  /**
   * The tier (`critical` | `high`) this password was stored with before its hash was first replaced by a
   * stronger one without the password changing (wrapped at rest, upgraded at sign-in); null if never (0021).
   */
  superseded_hash_tier: string | null;
  /** When that replacement happened; null with a tier: at a time unknown (filled by 0021 without a record of it). */
  hash_superseded_at: string | null;
  /** When a rotation campaign revoked this password's `email:password` API access; a new password clears it (0021). */
  api_revoked_at: string | null;
  api_revoked_incident_id: number | null;
}

export interface AuditEventsTable {
  account_id: number;
  seq: number;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  data: string;
  prev_hash: string;
  hash: string;
  /** The user `personal_data` is about (migration 0012); null on events without personal data. */
  subject_user_id: number | null;
  /** JSON of personal values, outside the hash; nulled by erasure. */
  personal_data: string | null;
  personal_salt: string | null;
  /** HMAC-SHA256(personal_salt, personal_data), covered by the hash; outlives the data it digests. */
  personal_digest: string | null;
  /** Keyring version whose derived key made `hash` an HMAC (migration 0016); null: a plain SHA-256 from before. */
  hash_key_version: number | null;
}

export interface AuditHeadsTable {
  account_id: number;
  seq: number;
  hash: string;
}

/** Where an account's chain starts once its oldest events are purged by retention: the last purged event. */
export interface AuditCheckpointsTable {
  account_id: number;
  seq: number;
  hash: string;
  purged_at: string;
}

/**
 * A user deleted through `DELETE /api/v2/users/{id}` (Zendesk's deleted users):
 * suspended with every credential revoked; `erased_at` once permanently
 * deleted, when the users row keeps only placeholders.
 */
export interface UserDeletionsTable {
  account_id: number;
  user_id: number;
  deleted_at: string;
  deleted_by: number | null;
  erased_at: string | null;
}

export interface DataKeysTable {
  account_id: number;
  id: number;
  kek_version: number;
  wrapped_key: string;
  created_at: string;
  /** `table.column.rowId` of the one secret this key seals (migration 0016); null on keys sealed before. */
  sealed_for: string | null;
}

export interface IdSequencesTable {
  name: string;
  next_id: number;
}

export interface LocalJobsTable {
  id: string;
  name: string;
  payload: string;
  singleton_key: string | null;
  state: 'queued' | 'active' | 'done' | 'failed';
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface PasswordHistoryTable {
  account_id: number;
  user_id: number;
  id: number;
  password_hash: string;
  created_at: string;
}

export interface SessionsTable {
  account_id: number;
  id: number;
  user_id: number;
  token_hash: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export interface PasswordChangeStepsTable {
  account_id: number;
  id: number;
  user_id: number;
  purpose: 'forced_change' | 'reset';
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface LoginThrottlesTable {
  account_id: number;
  subject: string;
  failures: number;
  last_failure_at: string;
  locked_until: string | null;
  email: string | null;
  window_started_at: string | null;
  alerted_at: string | null;
}

export interface ApiTokensTable {
  account_id: number;
  id: number;
  token_hash: string;
  token_hint: string;
  description: string;
  created_by: number | null;
  created_at: string;
  last_used_at: string | null;
}

export interface OauthClientsTable {
  account_id: number;
  id: number;
  identifier: string;
  name: string;
  kind: 'public' | 'confidential';
  secret_hash: string | null;
  redirect_uris: string;
  created_at: string;
  updated_at: string;
  /** When the secret was last set; null for a public client (0020). */
  secret_set_at: string | null;
}

export interface OauthTokensTable {
  account_id: number;
  id: number;
  client_id: number;
  user_id: number;
  token_hash: string;
  refresh_token_hash: string | null;
  scopes: string;
  created_at: string;
  expires_at: string | null;
  refresh_expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface OauthCodesTable {
  account_id: number;
  code_hash: string;
  client_id: number;
  user_id: number;
  redirect_uri: string;
  scopes: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface SsoConfigsTable {
  account_id: number;
  jwt_enabled: Flag;
  jwt_secret_sealed: string | null;
  jwt_remote_login_url: string | null;
  saml_enabled: Flag;
  saml_idp_sso_url: string | null;
  saml_idp_certificate: string | null;
  saml_idp_entity_id: string | null;
  updated_at: string;
  /** When the JWT shared secret was last set; null when none is (0020). */
  jwt_secret_set_at: string | null;
  /** When the SAML identity provider's URL or certificate was last set; null when none is (0020). */
  saml_configured_at: string | null;
}

export interface SsoReplaysTable {
  account_id: number;
  assertion_id: string;
  expires_at: string;
}

export interface MessagesTable {
  account_id: number;
  id: number;
  idempotency_key: string;
  purpose: string;
  recipient: string;
  locale: string;
  /** JSON; sealed by the keyring when it carries a secret such as a reset link. */
  template_data: string;
  state: 'queued' | 'sending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  /** While `sending`: when the sender's hold runs out and another sender may take the message up (0009). */
  lease_expires_at: string | null;
  /** The SMTP server's last answer, or where the embedded default wrote the file. */
  last_response: string | null;
  /** The Message-ID header, derived from the idempotency key. */
  message_id: string | null;
  /** The incident a notice is about, for the notification report; null for other mail. */
  incident_id: number | null;
  /** `attempts` when an operator last queued the failed message again (0013); the retry budget counts from it. */
  attempts_at_requeue: ColumnType<number, number | undefined, number>;
}

/** One authentication attempt, or identical ones within a flush of the writer (0022). */
export interface SignInEventsTable {
  id: number;
  account_id: number;
  occurred_at: string;
  last_at: string;
  attempts: number;
  /** The user (a staff member's id on the staff channel); null when the attempt named nobody known. */
  user_id: number | null;
  channel: string;
  outcome: string;
  reason: string | null;
  /** The client's address; truncated to its network after the address retention period. */
  ip: string | null;
  user_agent: string | null;
  /** What the attempt named: the email tried, so that attempts on unknown or other users can be told apart. */
  identifier: string | null;
  /** The API token or OAuth token used, by id. */
  credential_id: number | null;
}

/** A security event waiting to leave, or gone: filled with its audit event, dispatched by a job (0023). */
export interface SecurityEventsTable {
  account_id: number;
  audit_seq: number;
  /** Public and stable: the `webhook-id` of every delivery of this event. */
  event_id: string;
  type: string;
  occurred_at: string;
  /** The exact JSON sent: webhook body and SIEM line. */
  body: string;
  dispatched_at: string | null;
}

/** A webhook endpoint: an account's (its own events) or, with account_id 0, the operators' (every account's) (0023). */
export interface WebhookSubscriptionsTable {
  account_id: number;
  id: number;
  url: string;
  description: string;
  /** JSON array of event types; null: every type. */
  event_types: string | null;
  secret_sealed: string;
  created_by: string;
  created_at: string;
}

/** One event for one subscription: `queued` → `sending` → `delivered` | `failed` (0023). */
export interface WebhookDeliveriesTable {
  account_id: number;
  subscription_id: number;
  event_id: string;
  state: 'queued' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  lease_expires_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

/**
 * The hash a credential flagged by an incident held until it was replaced
 * (the exposed one, or a stronger hash of the same password), sealed under the account (place `exposed_password_hashes.hash_sealed`,
 * row id `{user_id}.{incident_id}`); one per user and incident (0024).
 */
export interface ExposedPasswordHashesTable {
  account_id: number;
  user_id: number;
  incident_id: number;
  hash_sealed: string;
  /** When it was kept: as the credential's hash was replaced (0029; before, when a batch flagged it). */
  kept_at: string;
}

/** One attempt that presented an exposed password (0024); `alerted_at` once an alert mail summarised it. */
export interface ExposedPasswordAttemptsTable {
  account_id: number;
  id: number;
  user_id: number;
  incident_id: number;
  channel: string;
  ip: string | null;
  user_agent: string | null;
  /**
   * 1 when the attempt presented another user's exposed password, or the same
   * source presented exposed passwords of two or more users of the account
   * within the alert window.
   */
  stuffing: number;
  /** Whose exposed password it was: `user_id` unless stuffed (0025; null before). */
  exposed_user_id: number | null;
  occurred_at: string;
  alerted_at: string | null;
}

/**
 * A password proven exposed, by its keyed fingerprint (0025): HMAC-SHA256 of
 * `{account_id}\n{password}` under the keyring's `exposed-password` key of
 * `key_version`. Lets a stuffed password be recognised on any user.
 */
export interface ExposedPasswordFingerprintsTable {
  account_id: number;
  key_version: number;
  fingerprint: string;
  user_id: number;
  incident_id: number;
  recorded_at: string;
}

/** One row (id 1) whose generation triggers move with every change to who may authenticate (0026). */
export interface IdentityChangesTable {
  id: number;
  generation: number;
}

/** A request rate limit's current fixed window per (route, client) key (0027). */
export interface RateLimitWindowsTable {
  key: string;
  started_ms: number;
  count: number;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  password_credentials: PasswordCredentialsTable;
  audit_events: AuditEventsTable;
  audit_heads: AuditHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  user_deletions: UserDeletionsTable;
  data_keys: DataKeysTable;
  id_sequences: IdSequencesTable;
  local_jobs: LocalJobsTable;
  password_history: PasswordHistoryTable;
  sessions: SessionsTable;
  password_change_steps: PasswordChangeStepsTable;
  login_throttles: LoginThrottlesTable;
  api_tokens: ApiTokensTable;
  sign_in_events: SignInEventsTable;
  security_events: SecurityEventsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  oauth_clients: OauthClientsTable;
  oauth_tokens: OauthTokensTable;
  oauth_codes: OauthCodesTable;
  sso_configs: SsoConfigsTable;
  sso_replays: SsoReplaysTable;
  messages: MessagesTable;
  apps: AppsTable;
  app_installations: AppInstallationsTable;
  installation_secrets: InstallationSecretsTable;
  certificates: CertificatesTable;
  certificate_changes: CertificateChangesTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  incident_tasks: IncidentTasksTable;
  rotation_campaigns: RotationCampaignsTable;
  campaign_targets: CampaignTargetsTable;
  incident_exposures: IncidentExposuresTable;
  scope_versions: ScopeVersionsTable;
  scope_accounts: ScopeAccountsTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  staff_access_grants: StaffAccessGrantsTable;
  advisories: AdvisoriesTable;
  advisory_translations: AdvisoryTranslationsTable;
  advisory_revisions: AdvisoryRevisionsTable;
  advisory_updates: AdvisoryUpdatesTable;
  advisory_update_bodies: AdvisoryUpdateBodiesTable;
  exposed_password_hashes: ExposedPasswordHashesTable;
  exposed_password_attempts: ExposedPasswordAttemptsTable;
  exposed_password_fingerprints: ExposedPasswordFingerprintsTable;
  identity_changes: IdentityChangesTable;
  rate_limit_windows: RateLimitWindowsTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
