import type { ServiceDeps } from '../../platform/service-deps.js';
import { accountUrl } from '../accounts/account-urls.js';
import { accountActionItems, accountRotationProgress } from '../incidents/customer-view.service.js';
import type { ExposureCategory } from '../incidents/exposures.schema.js';
import type { IncidentRow } from '../incidents/incidents.repo.js';
import type { NoticeAccountRow } from './incident-notices.repo.js';
import type { CustomerIncidentNoticeData, NoticeCertificate, NoticeInstallation } from './templates/index.js';

/** A notice lists this many installations and certificates; the rest are counted and on the security page. */
export const NOTICE_LIST_LIMIT = 50;

/**
 * What one account's notice says, from the customer's own view of the
 * incident (customer-view.service.ts): its categories, the installations to
 * rotate and certificates to replace at the incident's cutoff, and its users'
 * rotation. Reads only that account's rows.
 */
export async function customerNoticeData(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'handle' | 'config'>,
  incident: IncidentRow,
  version: number,
  account: NoticeAccountRow,
  advisoryUrl: string | null,
): Promise<CustomerIncidentNoticeData> {
  const categories = JSON.parse(account.categories) as ExposureCategory[];
  const affecting = { ...incident, version, ...account };
  const [items, rotation] = await Promise.all([
    accountActionItems(deps, affecting, account.account_id, categories),
    accountRotationProgress(deps, Number(incident.id), account.account_id),
  ]);
  const installations: NoticeInstallation[] = [];
  const certificates: NoticeCertificate[] = [];
  for (const item of items) {
    if (item.kind === 'rotate_installation_secrets')
      installations.push({
        appName: item.app_name,
        installedAt: item.installed_at,
        staleFields: item.stale_fields.map((f) => ({ field: f.field, setAt: f.set_at })),
      });
    else certificates.push({ hostnames: item.hostnames, uploadedAt: item.uploaded_at, notAfter: item.not_after });
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
    usersToRotate: rotation?.targets ?? 0,
    usersRotated: rotation?.changed ?? 0,
    securityPageUrl: accountUrl(deps.config.publicUrl, account.subdomain, '/security'),
    advisoryUrl,
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
