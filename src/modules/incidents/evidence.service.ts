import { vendorIdentity, type VendorConfig } from '../../config/vendor.js';
import { notFound } from '../../errors.js';
import { accountMeasures, findControllerAccount } from './customer-view.repo.js';
import {
  accountIncidentView,
  affectingIncident,
  type AccountIncidentView,
  type ActionTaken,
  type IncidentViewDeps,
} from './customer-view.service.js';
import type { ExposureCategory } from './exposures.model.js';
import { HASH_TIERS, type HashTier, type HashTierCounts } from '../auth/passwords/hash-strength.js';
import { listIncidentEvents } from './incidents.repo.js';
import { inventoryCutoffOf } from './scope.service.js';

/** The evidence names the vendor (the processor) as configured (`RIPOSTE_VENDOR_*`); absent settings take their defaults. */
export type EvidenceDeps = IncidentViewDeps & { config?: Partial<VendorConfig> };

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

/**
 * What each hash tier means for Art. 33(3)(c), in words a controller can
 * reuse: how the passwords were stored and the estimated cost, on one
 * RTX 4090, of running a 14.3-million-word guess list against one of them
 * (published hashcat figures; README, "Risk by hash strength").
 */
export const HASH_TIER_MEANINGS: Record<HashTier, { stored_with: string; guess_list_cost: string }> = {
  critical: {
    stored_with: 'salted SHA-1 or SHA-256 (a single fast digest per guess)',
    guess_list_cost: 'under a millisecond per password: common and reused passwords are found at once',
  },
  high: {
    stored_with: 'PBKDF2-SHA256 under 100,000 iterations, or bcrypt under cost 10',
    guess_list_cost:
      'from about 2 seconds (PBKDF2 at 1,000 iterations) or 39 seconds (bcrypt at cost 4) to about 21 minutes (bcrypt at cost 9) per password',
  },
  moderate: {
    stored_with: 'PBKDF2-SHA256 from 100,000 iterations, bcrypt from cost 10, or argon2id',
    guess_list_cost: 'about 3 minutes (PBKDF2 at 100,000 iterations) to 42 minutes (bcrypt at cost 10) or more per password',
  },
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
  records: {
    approximate_total: number;
    by_category: Partial<Record<ExposureCategory, number>>;
    /** Exposed password credentials per hash tier at exposure time; null unless password hashes were exposed. */
    password_hashes_by_tier: HashTierCounts | null;
  };
  /** Art. 33(3)(b): where more information can be obtained. */
  contact_points: {
    controller: { email: string; role: 'security_contact' | 'owner' };
    /** The vendor, as configured: its security contact, its data-protection contact (DPO), its security programme page. */
    processor: { name: string; email: string; data_protection_email: string; security_programme_url: string | null };
  };
  /** Art. 33(3)(c). */
  likely_consequences: Array<{ category: ExposureCategory; consequence: string }>;
  /** Art. 33(3)(c) for password hashes: per tier, how many, how they were stored and what cracking them costs; empty without password hashes. */
  password_hash_strength: Array<{ tier: HashTier; credentials: number; stored_with: string; guess_list_cost: string }>;
  /**
   * Art. 33(3)(c): was the exposed password used? Successful password sign-ins
   * of the rotation targets before their rotation, and those from a source new
   * to the user; null until a campaign targets the account's users.
   */
  use_of_exposed_passwords: AccountIncidentView['use_before_rotation'];
  /** Art. 33(3)(d): measures taken. */
  measures_taken: {
    password_rotation: AccountIncidentView['rotation'];
    sessions_revoked: number;
    installations_rotated: number;
    certificates_revoked: number;
    /** What the vendor did, dated: the incident's tasks marked public when completed. */
    actions_taken: ActionTaken[];
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
export async function buildEvidence(deps: EvidenceDeps, incidentId: number, subdomain: string): Promise<Evidence> {
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
  const vendor = vendorIdentity(deps.config ?? {});
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
    records: { approximate_total: records, by_category: view.records, password_hashes_by_tier: view.password_hash_tiers },
    contact_points: {
      controller:
        account.security_contact_email === null
          ? { email: account.owner_email, role: 'owner' }
          : { email: account.security_contact_email, role: 'security_contact' },
      processor: {
        name: vendor.name,
        email: vendor.securityEmail,
        data_protection_email: vendor.dataProtectionEmail,
        security_programme_url: vendor.securityPageUrl,
      },
    },
    likely_consequences: view.categories.map((category) => ({ category, consequence: LIKELY_CONSEQUENCES[category] })),
    password_hash_strength: HASH_TIERS.flatMap((tier) =>
      view.password_hash_tiers === null ? [] : [{ tier, credentials: view.password_hash_tiers[tier], ...HASH_TIER_MEANINGS[tier] }],
    ),
    use_of_exposed_passwords: view.use_before_rotation,
    measures_taken: {
      password_rotation: view.rotation,
      sessions_revoked: measures.sessionsRevoked,
      installations_rotated: measures.installationsRotated,
      certificates_revoked: measures.certificatesRevoked,
      actions_taken: view.actions_taken,
    },
    measures_proposed: view.action_items,
    // Operators' actors and event data stay internal; the summaries are written for the record.
    timeline: events
      .filter(isForCustomers)
      .map((event) => ({ occurred_at: event.occurred_at, kind: event.kind, summary: customerSummary(event) })),
  };
}

/**
 * Tasks are the operators' own work list: a customer's timeline shows a task
 * only when it was completed as public (`incident task done --public`).
 */
function isForCustomers(event: { kind: string; data: string }): boolean {
  if (event.kind === 'task_added') return false;
  if (event.kind !== 'task_completed') return true;
  return (JSON.parse(event.data) as { public?: unknown }).public === true;
}

/**
 * Scope changes are summarised by operators with platform-wide totals; a
 * customer's evidence says that the scope moved, not how far.
 */
function customerSummary(event: { kind: string; summary: string }): string {
  if (event.kind === 'exposure_added' || event.kind === 'exposure_removed') return 'The scope of the investigation was updated.';
  return event.summary;
}
