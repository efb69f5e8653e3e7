// Type-only imports of the server's views: erased from the bundle, they keep
// the console reading exactly what `/ops/v1` sends.
export type { CampaignView as Campaign } from '../../../src/modules/incidents/campaigns.service.js';
export type { DryRun } from '../../../src/modules/incidents/campaign-dry-run.js';
export type { Exposure, ScopeComparison, ScopeSnapshot } from '../../../src/modules/incidents/exposures.schema.js';
export type { IncidentDetails, IncidentSummary } from '../../../src/modules/incidents/incident.schema.js';

export interface Staff {
  id: number;
  email: string;
  name: string;
  role: 'operator' | 'support';
}

export interface Completion {
  flagged: number;
  changed: number;
  accounts: Array<{ accountId: number; subdomain: string; flagged: number; changed: number }>;
}

export interface CompletionPoint {
  at: string;
  flagged: number;
  changed: number;
}

export interface SelectorValidation {
  valid: boolean;
  selector?: unknown;
  description?: string;
  problems?: Array<{ path: string; rule: string; description: string }>;
}

/** What every page of the console gets: the operator and the CSRF token for writes. */
export interface OpsContext {
  staff: Staff;
  csrf: string;
}
