import type { Insertable, Selectable } from 'kysely';

/**
 * Table types. Portable across SQLite and PostgreSQL: timestamps are ISO-8601
 * UTC strings (they sort as text), booleans are 0/1 integers, JSON is text,
 * and product sets are bitmasks (see `platform/products.ts`).
 * Tenant tables lead their primary key with `account_id`.
 */
export type Flag = 0 | 1;

export interface AccountsTable {
  id: number;
  subdomain: string;
  name: string;
  status: 'trial' | 'active' | 'trial_expired' | 'inactive';
  activated_at: string | null;
  host_mapping: string | null;
  owner_email: string;
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
}

export interface PasswordCredentialsTable {
  account_id: number;
  user_id: number;
  password_hash: string;
  password_changed_at: string;
  must_change: Flag;
  must_change_reason: string | null;
  must_change_incident_id: number | null;
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
}

export interface AuditHeadsTable {
  account_id: number;
  seq: number;
  hash: string;
}

export interface DataKeysTable {
  account_id: number;
  id: number;
  kek_version: number;
  wrapped_key: string;
  created_at: string;
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

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  password_credentials: PasswordCredentialsTable;
  audit_events: AuditEventsTable;
  audit_heads: AuditHeadsTable;
  data_keys: DataKeysTable;
  id_sequences: IdSequencesTable;
  local_jobs: LocalJobsTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
