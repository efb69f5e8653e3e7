import type { Flag } from './schema.flag.js';

// Table types of the incident engine: incidents, exposures, scope snapshots, rotation campaigns (see schema.ts).

export interface IncidentsTable {
  id: number;
  title: string;
  state: 'investigating' | 'identified' | 'remediating' | 'monitoring' | 'closed';
  became_aware_at: string;
  exposure_starts_at: string | null;
  exposure_ends_at: string | null;
  cutoff: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface IncidentEventsTable {
  incident_id: number;
  seq: number;
  occurred_at: string;
  kind: string;
  summary: string;
  /** JSON object. */
  data: string;
  actor: string;
}

export interface IncidentTasksTable {
  incident_id: number;
  id: number;
  title: string;
  owner: string | null;
  due_at: string | null;
  done_at: string | null;
  kind: string;
  /** Marked public when completed (migration 0018): customers see it, with `done_at`, in notices, their view and the evidence. */
  public: Flag;
}

export interface IncidentExposuresTable {
  incident_id: number;
  id: number;
  category: string;
  kind: 'selector' | 'accounts';
  /** JSON selector (kind `selector`). */
  selector: string | null;
  /** JSON array of account ids (kind `accounts`). */
  account_ids: string | null;
  added_at: string;
  removed_at: string | null;
}

/** One scope snapshot of an incident; written once, never edited. */
export interface ScopeVersionsTable {
  incident_id: number;
  version: number;
  created_at: string;
  reason: string;
}

export interface ScopeAccountsTable {
  incident_id: number;
  version: number;
  account_id: number;
  /** JSON array of exposure categories. */
  categories: string;
  people_agents: number;
  people_end_users: number;
  /** JSON object: category -> approximate number of records. */
  records: string;
  /** JSON object: hash tier -> exposed password credentials (0021); null without `password_hashes`, or before. */
  hash_tiers: string | null;
}

/** A rotation campaign: a persisted flow over a frozen target set (DESIGN.md, "Rotation campaign"). */
export interface RotationCampaignsTable {
  id: number;
  incident_id: number;
  /** JSON: the selector, normalised by `parseSelector`. */
  selector: string;
  cutoff: string;
  revoke_sessions: Flag;
  state: 'draft' | 'scheduled' | 'running' | 'paused' | 'cancelled' | 'done';
  batch_size: number;
  batches: number;
  run_generation: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  total: number;
  done: number;
  /** When a scheduled campaign starts by itself (migration 0019); null: started by hand. */
  start_at: string | null;
  /** When it was scheduled: its targets were frozen and told then. */
  scheduled_at: string | null;
  /** `by_account` (key order) or `weakest_first`: critical targets' batches, then high, then moderate (0021). */
  batch_order: 'by_account' | 'weakest_first';
  /** Whose `email:password` API access the start revokes: `none`, `critical` or `critical_and_high` targets (0021). */
  revoke_api_passwords: 'none' | 'critical' | 'critical_and_high';
  /** JSON: frozen targets per hash tier; null until frozen. */
  targets_by_tier: string | null;
  /** Credentials whose API password access the start revoked; null until started. */
  api_passwords_revoked: number | null;
}

/**
 * One user of a campaign's frozen target set; `flagged_at` is set when its
 * batch is applied, with `changed_before_rotation` = 1 when the batch found
 * the user had already set a new password and left them alone.
 */
export interface CampaignTargetsTable {
  campaign_id: number;
  account_id: number;
  user_id: number;
  batch: number;
  flagged_at: string | null;
  changed_before_rotation: Flag;
  /** The target's hash tier at the campaign's exposure time, frozen with it (0021); null for targets frozen before. */
  hash_tier: string | null;
}
