// Type-only imports of the answer's wire schema: erased from the bundle, they keep
// the console reading exactly what `/api/v2/security/incidents.json` sends.
export type {
  AccountIncidentWire as AccountIncident,
  ActionItemWire as ActionItem,
  SecurityIncidentsWire as SecurityIncidents,
} from '../../../../src/modules/incidents/customer-view.schema.js';

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
