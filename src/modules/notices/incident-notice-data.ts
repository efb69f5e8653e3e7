import type { ServiceDeps } from '../../platform/service-deps.js';
import { accountUrl } from '../accounts/account-urls.js';
import { accountActionItems, accountRotationProgress } from '../incidents/customer-view.service.js';
import type { ExposureCategory } from '../incidents/exposures.model.js';
import type { IncidentRow } from '../incidents/incidents.repo.js';
import { parseHashTiers } from '../incidents/scope.service.js';
import type { NoticeAccountRow } from './incident-notices.repo.js';
import type {
  CustomerIncidentNoticeData,
  NoticeCertificate,
  NoticeCredential,
  NoticeInstallation,
  NoticeMeasure,
} from '../courier/templates/index.js';

/** A notice lists this many installations and certificates; the rest are counted and on the security page. */
export const NOTICE_LIST_LIMIT = 50;

/** What every notice of one run says alike, and per account what was read for a whole page of accounts. */
export interface NoticeFacts {
  advisoryUrl: string | null;
  /** The incident's public tasks, done: what the vendor has done. */
  measures: NoticeMeasure[];
  /** The account's users who called the API with `email:password` in the last 90 days. */
  passwordApiUsers: number;
}

/**
 * What one account's notice says, from the customer's own view of the
 * incident (customer-view.service.ts): its categories, the installations to
 * rotate and certificates to replace at the incident's cutoff, its users'
 * rotation, what the vendor has done, and how many of its users' API
 * integrations sign in with a password. Reads only that account's rows.
 */
export async function customerNoticeData(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'handle' | 'config'>,
  incident: IncidentRow,
  version: number,
  account: NoticeAccountRow,
  facts: NoticeFacts,
): Promise<CustomerIncidentNoticeData> {
  const categories = JSON.parse(account.categories) as ExposureCategory[];
  const affecting = { ...incident, version, ...account };
  const [items, rotation] = await Promise.all([
    accountActionItems(deps, affecting, account.account_id, categories),
    accountRotationProgress(deps, Number(incident.id), account.account_id),
  ]);
  const installations: NoticeInstallation[] = [];
  const certificates: NoticeCertificate[] = [];
  const credentials: NoticeCredential[] = [];
  for (const item of items) {
    switch (item.kind) {
      case 'rotate_installation_secrets':
        installations.push({
          appName: item.app_name,
          installedAt: item.installed_at,
          staleFields: item.stale_fields.map((f) => ({ field: f.field, setAt: f.set_at })),
        });
        break;
      case 'replace_certificate':
        certificates.push({ hostnames: item.hostnames, uploadedAt: item.uploaded_at, notAfter: item.not_after });
        break;
      case 'revoke_api_token':
        credentials.push({ kind: 'api_token', name: item.description, setAt: item.created_at });
        break;
      case 'regenerate_oauth_client_secret':
        credentials.push({ kind: 'oauth_client', name: item.name, setAt: item.secret_set_at });
        break;
      case 'regenerate_jwt_shared_secret':
        credentials.push({ kind: 'jwt_secret', name: null, setAt: item.set_at });
        break;
      case 'replace_saml_configuration':
        credentials.push({ kind: 'saml_configuration', name: null, setAt: item.set_at });
        break;
    }
  }
  return {
    accountName: account.name,
    subdomain: account.subdomain,
    incidentTitle: incident.title,
    becameAwareAt: incident.became_aware_at,
    categories,
    installations: installations.slice(0, NOTICE_LIST_LIMIT),
    installationsTotal: installations.length,
    certificates: certificates.slice(0, NOTICE_LIST_LIMIT),
    certificatesTotal: certificates.length,
    credentials: credentials.slice(0, NOTICE_LIST_LIMIT),
    credentialsTotal: credentials.length,
    usersToRotate: rotation?.targets ?? 0,
    usersRotated: rotation?.changed ?? 0,
    securityPageUrl: accountUrl(deps.config.publicUrl, account.subdomain, '/security'),
    advisoryUrl: facts.advisoryUrl,
    measures: facts.measures,
    passwordApiUsers: facts.passwordApiUsers,
    passwordHashTiers: parseHashTiers(account.hash_tiers),
  };
}

/** The owner, the active core admins and the security contact, each address once (compared without case), in that order. */
export function noticeRecipients(account: NoticeAccountRow, adminEmails: readonly string[]): string[] {
  const seen = new Set<string>();
  const recipients: string[] = [];
  for (const raw of [account.owner_email, ...adminEmails, account.security_contact_email]) {
    const email = raw?.trim();
    if (email === undefined || email === '' || seen.has(email.toLowerCase())) continue;
    seen.add(email.toLowerCase());
    recipients.push(email);
  }
  return recipients;
}
