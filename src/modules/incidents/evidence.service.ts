import { notFound } from '../../errors.js';
import { accountMeasures, findControllerAccount } from './customer-view.repo.js';
import { accountIncidentView, affectingIncident, type AccountIncidentView, type CustomerViewDeps } from './customer-view.service.js';
import type { ExposureCategory } from './exposures.schema.js';
import { listIncidentEvents } from './incidents.repo.js';
import { inventoryCutoffOf } from './scope.service.js';

/** The processor's contact point (Art. 33(3)(b) asks for one); the controller's comes from the account. */
export const VENDOR_CONTACT = { name: 'Riposte security team', email: 'security@riposte.example' } as const;

/** Art. 33(3)(c): the likely consequences of each exposed category, in words a controller can reuse. */
export const LIKELY_CONSEQUENCES: Record<ExposureCategory, string> = {
  contact_pii:
    'Names, email addresses and phone numbers may be used for phishing or spam aimed at the people concerned, or to impersonate your organisation.',
  password_hashes:
    'Hashed passwords may be cracked offline; where a person reused the password elsewhere, those other accounts are at risk until it is changed.',
  auth_credentials:
    'API tokens, OAuth tokens or SSO secrets may be used to read or change data in your account until they are revoked or rotated.',
  tls_keys:
    'The private keys of your mapped domain’s certificates may be used to impersonate your help centre or read intercepted traffic until the certificates are revoked.',
  app_secrets:
    'The keys your app installations store (integration tokens) may be used to reach the connected services until they are rotated.',
  ticket_data: 'Ticket contents may disclose whatever personal data your customers and agents wrote in them.',
};

export interface Evidence {
  article: 'GDPR Art. 33(3)';
  generated_at: string;
  controller: { account_id: number; subdomain: string; name: string };
  incident: { id: number; title: string; state: string; became_aware_at: string; scope_version: number };
  /** Art. 33(3)(a): the nature of the breach. */
  nature: {
    description: string;
    categories: ExposureCategory[];
    exposure_window: { starts_at: string; ends_at: string | null } | null;
    cutoff: string;
  };
  /** Art. 33(3)(a): categories and approximate number of data subjects. */
  people: { approximate_total: number; agents_and_admins: number; end_users: number };
  /** Art. 33(3)(a): categories and approximate number of records. */
  records: { approximate_total: number; by_category: Partial<Record<ExposureCategory, number>> };
  /** Art. 33(3)(b): where more information can be obtained. */
  contact_points: {
    controller: { email: string; role: 'security_contact' | 'owner' };
    processor: { name: string; email: string };
  };
  /** Art. 33(3)(c). */
  likely_consequences: Array<{ category: ExposureCategory; consequence: string }>;
  /** Art. 33(3)(d): measures taken. */
  measures_taken: {
    password_rotation: AccountIncidentView['rotation'];
    sessions_revoked: number;
    installations_rotated: number;
    certificates_revoked: number;
  };
  /** Art. 33(3)(d): measures proposed: the account's open to-do list. */
  measures_proposed: AccountIncidentView['action_items'];
  timeline: Array<{ occurred_at: string; kind: string; summary: string }>;
}

function describeNature(view: AccountIncidentView, cutoff: string): string {
  return `${view.title}. Data of the categories ${view.categories.join(', ')} held for your account before ${cutoff} may have been accessed by an unauthorised party.`;
}

/**
 * The facts an account (the data controller) needs for its own Article 33
 * notification of one incident: nature, people and records, contact points,
 * likely consequences, measures taken and proposed, and the timeline. A 404
 * when the account is not in the incident's latest scope.
 *
 * @example
 * const evidence = await buildEvidence(deps, 1, 'acme');
 * evidence.people; // { approximate_total: 12, agents_and_admins: 3, end_users: 9 }
 */
export async function buildEvidence(deps: CustomerViewDeps, incidentId: number, subdomain: string): Promise<Evidence> {
  const account = await findControllerAccount(deps.db, subdomain.trim().toLowerCase());
  if (account === undefined) throw notFound(`Account ${subdomain}`);
  const accountId = Number(account.id);
  const row = await affectingIncident(deps, incidentId, accountId);
  const cutoff = inventoryCutoffOf(row);
  const [view, measures, events] = await Promise.all([
    accountIncidentView(deps, row, accountId),
    accountMeasures(deps.db, incidentId, accountId, cutoff),
    listIncidentEvents(deps.db, incidentId),
  ]);
  const records = Object.values(view.records).reduce((sum, count) => sum + count, 0);
  return {
    article: 'GDPR Art. 33(3)',
    generated_at: deps.clock.now().toISOString(),
    controller: { account_id: accountId, subdomain: account.subdomain, name: account.name },
    incident: {
      id: view.id,
      title: view.title,
      state: view.state,
      became_aware_at: view.became_aware_at,
      scope_version: Number(row.version),
    },
    nature: {
      description: describeNature(view, cutoff),
      categories: view.categories,
      exposure_window: row.exposure_starts_at === null ? null : { starts_at: row.exposure_starts_at, ends_at: row.exposure_ends_at },
      cutoff,
    },
    people: { approximate_total: view.people.total, agents_and_admins: view.people.agents, end_users: view.people.end_users },
    records: { approximate_total: records, by_category: view.records },
    contact_points: {
      controller:
        account.security_contact_email === null
          ? { email: account.owner_email, role: 'owner' }
          : { email: account.security_contact_email, role: 'security_contact' },
      processor: { ...VENDOR_CONTACT },
    },
    likely_consequences: view.categories.map((category) => ({ category, consequence: LIKELY_CONSEQUENCES[category] })),
    measures_taken: {
      password_rotation: view.rotation,
      sessions_revoked: measures.sessionsRevoked,
      installations_rotated: measures.installationsRotated,
      certificates_revoked: measures.certificatesRevoked,
    },
    measures_proposed: view.action_items,
    // Operators' actors and event data stay internal; the summaries are written for the record.
    timeline: events.map((event) => ({ occurred_at: event.occurred_at, kind: event.kind, summary: customerSummary(event) })),
  };
}

/**
 * Scope changes are summarised by operators with platform-wide totals; a
 * customer's evidence says that the scope moved, not how far.
 */
function customerSummary(event: { kind: string; summary: string }): string {
  if (event.kind === 'exposure_added' || event.kind === 'exposure_removed') return 'The scope of the investigation was updated.';
  return event.summary;
}
