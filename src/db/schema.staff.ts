import type { Flag } from './schema.flag.js';

// Table types of the vendor's side: staff, their access grants, public advisories (see schema.ts).

/** One of the vendor's staff (DESIGN.md, staff realm); outside every account. */
export interface StaffUsersTable {
  id: number;
  email: string;
  name: string;
  role: 'operator' | 'support';
  password_hash: string;
  /** Sealed under PLATFORM_ACCOUNT_ID, table `staff_users`, column `totp_secret`. */
  totp_secret_sealed: string;
  /** The last TOTP time step accepted; a code is usable once. */
  totp_last_step: number | null;
  created_at: string;
  disabled_at: string | null;
}

export interface StaffSessionsTable {
  id: number;
  staff_id: number;
  token_hash: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** A public advisory (DESIGN.md, "Advisory"); platform-wide, no account id. */
export interface AdvisoriesTable {
  id: number;
  incident_id: number | null;
  source_locale: string;
  state: 'draft' | 'published';
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

/** The newest revision of one locale; `source_revision` is the source's revision it was written from. */
export interface AdvisoryTranslationsTable {
  advisory_id: number;
  locale: string;
  revision: number;
  source_revision: number;
  machine_translated: Flag;
  title: string;
  /** Markdown. */
  body: string;
  created_at: string;
  edited_at: string;
}

/** Every version of every translation; written once, never edited. */
export interface AdvisoryRevisionsTable {
  advisory_id: number;
  locale: string;
  revision: number;
  source_revision: number;
  machine_translated: Flag;
  title: string;
  body: string;
  created_at: string;
  actor: string;
}

/** A dated update; appended, never rewritten. */
export interface AdvisoryUpdatesTable {
  advisory_id: number;
  seq: number;
  posted_at: string;
  actor: string;
}

/** One locale's text of an update; written once. */
export interface AdvisoryUpdateBodiesTable {
  advisory_id: number;
  seq: number;
  locale: string;
  machine_translated: Flag;
  /** Markdown. */
  body: string;
  created_at: string;
}

/** A customer admin's grant of staff access to their account (DESIGN.md, "Staff access grant"). */
export interface StaffAccessGrantsTable {
  account_id: number;
  id: number;
  duration: 'day' | 'week' | 'month' | 'year' | 'indefinite';
  /** The admin who granted it. */
  granted_by: number;
  granted_at: string;
  /** Null for `indefinite`. */
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: number | null;
  /** When the expiry was audited and mailed; null until then. */
  expiry_recorded_at: string | null;
}
