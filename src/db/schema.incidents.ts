import type { Flag } from './schema.js';

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
}

/** A rotation campaign: a persisted flow over a frozen target set (DESIGN.md, "Rotation campaign"). */
export interface RotationCampaignsTable {
  id: number;
  incident_id: number;
  /** JSON: the selector, normalised by `parseSelector`. */
  selector: string;
  cutoff: string;
  revoke_sessions: Flag;
  state: 'draft' | 'running' | 'paused' | 'cancelled' | 'done';
  batch_size: number;
  batches: number;
  run_generation: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  total: number;
  done: number;
}

/** One user of a campaign's frozen target set; `flagged_at` is set when its batch is applied. */
export interface CampaignTargetsTable {
  campaign_id: number;
  account_id: number;
  user_id: number;
  batch: number;
  flagged_at: string | null;
}
