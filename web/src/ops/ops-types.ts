export interface Staff {
  id: number;
  email: string;
  name: string;
  role: 'operator' | 'support';
}

export interface IncidentSummary {
  id: number;
  title: string;
  state: string;
  becameAwareAt: string;
  cutoff: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  allowedNextStates: string[];
}

export interface IncidentDetails extends IncidentSummary {
  timeline: Array<{ seq: number; occurredAt: string; kind: string; summary: string; actor: string }>;
  tasks: Array<{ id: number; title: string; owner: string | null; dueAt: string | null; doneAt: string | null; overdue: boolean }>;
  overdueTasks: number;
}

export interface Exposure {
  id: number;
  category: string;
  target: { kind: 'selector'; selector: unknown } | { kind: 'accounts'; accountIds: number[] };
  addedAt: string;
  removedAt: string | null;
}

export interface ScopeSnapshot {
  version: number;
  createdAt: string;
  reason: string;
  accounts: Array<{ subdomain: string; accountId: number; categories: string[]; people: number; records: Record<string, number> }>;
  totals: { accounts: number; people: number; peopleByRole: { agents: number; endUsers: number }; records: Record<string, number> };
}

export interface ScopeComparison {
  from: number;
  to: number;
  accountsAdded: string[];
  accountsRemoved: string[];
  categoriesChanged: Array<{ subdomain: string; added: string[]; removed: string[] }>;
}

export interface Campaign {
  id: number;
  incidentId: number;
  state: 'draft' | 'running' | 'paused' | 'done' | 'cancelled';
  selector: unknown;
  cutoff: string;
  revokeSessions: boolean;
  batchSize: number;
  batches: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: { done: number; total: number; rate: number; secondsLeft: number | null };
}

export interface DryRun {
  targets: number;
  exempt: Record<string, number>;
  byAccount: Array<{ accountId: number; subdomain: string; targets: number; exempt: number }>;
  byRole: Record<string, number>;
  byRealm: Record<string, number>;
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
