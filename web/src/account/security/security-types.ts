// Type-only imports of the server's views: erased from the bundle, they keep
// the console reading exactly what `/api/v2/security/incidents.json` sends.
export type {
  AccountIncidentView as AccountIncident,
  ActionItem,
  SecurityIncidentsView as SecurityIncidents,
} from '../../../../src/modules/incidents/customer-view.service.js';

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
