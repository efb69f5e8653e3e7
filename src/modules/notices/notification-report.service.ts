import { notFound } from '../../errors.js';
import type { PageRequest } from '../../platform/http/pagination.js';
import { pageWindow } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findIncident } from '../incidents/incidents.repo.js';
import {
  countIncidentAccounts,
  countIncidentMessages,
  countIncidentMessagesByAccount,
  listFailedIncidentMessages,
  type FailedMessageRow,
} from './notification-report.repo.js';

export interface DeliveryCounts {
  total: number;
  sent: number;
  /** Queued, waiting for a retry, or being sent. */
  pending: number;
  failed: number;
}

export interface AccountDelivery extends Omit<DeliveryCounts, 'total'> {
  /** The account id (so the list pages like every other). */
  id: number;
  subdomain: string;
}

export interface FailedNotice {
  accountId: number;
  messageId: number;
  purpose: string;
  recipient: string;
  attempts: number;
  error: string | null;
  serverResponse: string | null;
}

export interface NotificationTotals {
  incidentId: number;
  totals: DeliveryCounts;
  byPurpose: Record<string, DeliveryCounts>;
}

const empty = (): DeliveryCounts => ({ total: 0, sent: 0, pending: 0, failed: 0 });

const failedNotice = (row: FailedMessageRow): FailedNotice => ({
  accountId: Number(row.account_id),
  messageId: Number(row.id),
  purpose: row.purpose,
  recipient: row.recipient,
  attempts: Number(row.attempts),
  error: row.last_error,
  serverResponse: row.last_response,
});

/** Sent, pending and failed notices of an incident, in all and per purpose: one grouped read. */
export async function notificationTotals(deps: Pick<ServiceDeps, 'db'>, incidentId: number): Promise<NotificationTotals> {
  if ((await findIncident(deps.db, incidentId)) === undefined) throw notFound(`Incident ${incidentId}`);
  const totals = empty();
  const byPurpose: Record<string, DeliveryCounts> = {};
  for (const row of await countIncidentMessages(deps.db, incidentId)) {
    const purpose = (byPurpose[row.purpose] ??= empty());
    const bucket = row.state === 'sent' ? 'sent' : row.state === 'failed' ? 'failed' : 'pending';
    for (const counts of [totals, purpose]) {
      counts[bucket] += row.messages;
      counts.total += row.messages;
    }
  }
  return { incidentId, totals, byPurpose };
}

export interface NotificationPage {
  /** One more than the page when another follows (`pageBody` trims it). */
  accounts: AccountDelivery[];
  /** The failed messages of the accounts on this page, with the error and the server's answer. */
  failed: FailedNotice[];
  countAccounts: () => Promise<number>;
}

/** A page of the per-account report and the failures of those accounts. */
export async function notificationPage(deps: Pick<ServiceDeps, 'db'>, incidentId: number, request: PageRequest): Promise<NotificationPage> {
  const rows = await countIncidentMessagesByAccount(deps.db, incidentId, pageWindow(request));
  const accounts = rows.map((row) => ({
    id: row.account_id,
    subdomain: row.subdomain,
    sent: row.sent,
    pending: row.pending,
    failed: row.failed,
  }));
  // The window holds one row more than the page, to tell whether another follows: its failures wait for that page.
  const shown = accounts.slice(0, pageWindow(request).limit - 1);
  const withFailures = shown.filter((a) => a.failed > 0).map((a) => a.id);
  const failed = await listFailedIncidentMessages(deps.db, incidentId, { accountIds: withFailures, limit: 1_000 });
  return { accounts, failed: failed.map(failedNotice), countAccounts: () => countIncidentAccounts(deps.db, incidentId) };
}

/** Every failed notice of the incident (up to `limit`), for the CLI's report. */
export async function failedNotices(deps: Pick<ServiceDeps, 'db'>, incidentId: number, limit = 1_000): Promise<FailedNotice[]> {
  return (await listFailedIncidentMessages(deps.db, incidentId, { limit })).map(failedNotice);
}
