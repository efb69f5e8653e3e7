import { invalid } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { countExposedCertificatesByAccount, listExposedCertificatesPage, type ExposureCountRow } from './certificates.repo.js';
import { parseHostnames, type CertificateState } from './certificates.model.js';

/**
 * The exposure inventory of TLS keys for the incident engine: certificates
 * uploaded before a cutoff that are still valid and not revoked, whose
 * private keys an attacker who read the database before the cutoff holds.
 * Pending and superseded certificates count: their keys were stored, and a
 * valid certificate can be used by whoever has its key until it is revoked
 * or expires. Set-based SQL, per account or across all of them.
 */

export interface ExposureRule {
  /** ISO-8601; certificates uploaded strictly before it. */
  uploadedBefore: string;
  /** One account only; absent: every account. */
  accountId?: number;
}

export interface ExposedCertificate {
  accountId: number;
  subdomain: string;
  id: number;
  state: CertificateState;
  hostnames: string[];
  fingerprintSha256: string;
  uploadedAt: string;
  notAfter: string;
}

export interface ExposedCertificatesPage {
  certificates: ExposedCertificate[];
  /** Pass back as `after` for the next page; null on the last. */
  next: { accountId: number; id: number } | null;
}

export const MAX_EXPOSURE_PAGE = 5_000;

function cutoffOf(rule: ExposureRule): string {
  const time = Date.parse(rule.uploadedBefore);
  if (Number.isNaN(time)) throw invalid('uploadedBefore must be an ISO-8601 timestamp.', { uploaded_before: ['is not a timestamp'] });
  return new Date(time).toISOString();
}

/**
 * One page of exposed certificates, ordered by account and id.
 *
 * @example
 * let page = await listExposedCertificates(deps, { uploadedBefore: '2016-11-01T00:00:00Z' });
 * while (page.next !== null) page = await listExposedCertificates(deps, rule, { after: page.next });
 */
export async function listExposedCertificates(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  rule: ExposureRule,
  page: { after?: { accountId: number; id: number }; limit?: number } = {},
): Promise<ExposedCertificatesPage> {
  const limit = Math.min(Math.max(1, page.limit ?? MAX_EXPOSURE_PAGE), MAX_EXPOSURE_PAGE);
  const rows = await listExposedCertificatesPage(
    deps.db,
    {
      uploadedBefore: cutoffOf(rule),
      now: deps.clock.now().toISOString(),
      ...(rule.accountId === undefined ? {} : { accountId: rule.accountId }),
    },
    page.after ?? null,
    limit + 1,
  );
  const certificates = rows.slice(0, limit).map((row) => ({
    accountId: row.account_id,
    subdomain: row.subdomain,
    id: row.id,
    state: row.state,
    hostnames: parseHostnames(row.hostnames),
    fingerprintSha256: row.fingerprint_sha256,
    uploadedAt: row.uploaded_at,
    notAfter: row.not_after,
  }));
  const last = certificates.at(-1);
  return { certificates, next: rows.length > limit && last !== undefined ? { accountId: last.accountId, id: last.id } : null };
}

/**
 * Per affected account: how many certificates the rule matches and how
 * many of those are being served. One grouped statement.
 *
 * @example
 * const perAccount = await countExposedCertificates(deps, { uploadedBefore: '2016-11-01T00:00:00Z' });
 * // [{ account_id: 7, subdomain: 'acme', certificates: 2, active: 1, earliest_uploaded_at: '2016-05-01T00:00:00.000Z' }]
 */
export async function countExposedCertificates(deps: Pick<ServiceDeps, 'db' | 'clock'>, rule: ExposureRule): Promise<ExposureCountRow[]> {
  return countExposedCertificatesByAccount(deps.db, {
    uploadedBefore: cutoffOf(rule),
    now: deps.clock.now().toISOString(),
    ...(rule.accountId === undefined ? {} : { accountId: rule.accountId }),
  });
}
