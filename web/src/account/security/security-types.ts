export type ActionItem =
  | {
      kind: 'rotate_installation_secrets';
      installation_id: number;
      app_name: string;
      installed_at: string;
      stale_fields: Array<{ field: string; set_at: string }>;
    }
  | { kind: 'replace_certificate'; certificate_id: number; hostnames: string[]; uploaded_at: string; not_after: string };

export interface AccountIncident {
  id: number;
  title: string;
  state: string;
  became_aware_at: string;
  categories: string[];
  people: { total: number; agents: number; end_users: number };
  records: Record<string, number>;
  action_items: ActionItem[];
  rotation: { targets: number; changed: number; remaining: number } | null;
}

export interface SecurityIncidents {
  incidents: AccountIncident[];
  affected?: boolean;
}

export interface Certificate {
  id: number;
  state: 'pending' | 'active' | 'superseded' | 'revoked' | 'expired';
  hostnames: string[];
  subject: string;
  not_before: string;
  not_after: string;
  fingerprint_sha256: string;
  uploaded_at: string;
}
