import { PAGE_LINK_KEYS, pageLinksProperties, type PageLinksWire } from '../../platform/http/pagination.js';
import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import type { MessagePurpose } from '../courier/outbox.service.js';
import type { NotifyRequest } from './incident-notify-request.js';
import type { AccountDelivery, DeliveryCounts, FailedNotice, NotificationTotals } from './notification-report.service.js';

export const deliveryCountsWireSchema = closedObject({
  total: wire.integer,
  sent: wire.integer,
  /** Queued, waiting for a retry, or being sent. */
  pending: wire.integer,
  failed: wire.integer,
});
export type DeliveryCountsWire = FromSchema<typeof deliveryCountsWireSchema>;

/** Counts by purpose (every message purpose, an incident's notices being a few): only the purposes the incident has messages of. */
const byPurposeProperties = {
  password_reset: deliveryCountsWireSchema,
  customer_incident_notice: deliveryCountsWireSchema,
  user_rotation_notice: deliveryCountsWireSchema,
  staff_access_changed: deliveryCountsWireSchema,
  exposed_credential_alert: deliveryCountsWireSchema,
} as const satisfies Record<MessagePurpose, unknown>;
// `satisfies` holds the keys to exactly the message purposes.
const MESSAGE_PURPOSES = Object.keys(byPurposeProperties) as MessagePurpose[];
const byPurposeWireSchema = closedObject(byPurposeProperties, MESSAGE_PURPOSES);

const purposeWire = { type: 'string', enum: MESSAGE_PURPOSES } as const;

const totalsProperties = {
  incident_id: wire.integer,
  totals: deliveryCountsWireSchema,
  by_purpose: byPurposeWireSchema,
} as const;

/** An incident's notices, sent, pending and failed, in all and per purpose. */
export const notificationTotalsWireSchema = closedObject(totalsProperties);
export type NotificationTotalsWire = FromSchema<typeof notificationTotalsWireSchema>;

/** One account's notices; `id` is the account's. */
export const accountDeliveryWireSchema = closedObject({
  id: wire.integer,
  subdomain: wire.string,
  sent: wire.integer,
  pending: wire.integer,
  failed: wire.integer,
});
export type AccountDeliveryWire = FromSchema<typeof accountDeliveryWireSchema>;

/** A failed notice with the error and the mail server's answer. */
export const failedNoticeWireSchema = closedObject({
  account_id: wire.integer,
  message_id: wire.integer,
  purpose: purposeWire,
  recipient: wire.string,
  attempts: wire.integer,
  error: wire.nullableString,
  server_response: wire.nullableString,
});
export type FailedNoticeWire = FromSchema<typeof failedNoticeWireSchema>;

/** `POST /ops/v1/incidents/:id/notifications` (202): the request queued, and the totals when it was. */
export const notifyAnswerSchema = closedObject({
  notification: closedObject({
    incident_id: wire.integer,
    scope_version: wire.integer,
    users: wire.boolean,
    retry_failed: wire.boolean,
    /** The background job that builds and queues the notices. */
    job_id: wire.nullableString,
  }),
  report: notificationTotalsWireSchema,
});
export type NotifyAnswer = FromSchema<typeof notifyAnswerSchema>;

/** `GET /ops/v1/incidents/:id/notifications`: the totals, a page of accounts, and the failures of those accounts. */
export const notificationReportAnswerSchema = closedObject(
  {
    ...totalsProperties,
    accounts: { type: 'array', items: accountDeliveryWireSchema },
    /** The failed notices of the accounts on this page. */
    failed: { type: 'array', items: failedNoticeWireSchema },
    ...pageLinksProperties,
  },
  PAGE_LINK_KEYS,
);
export type NotificationReportAnswer = FromSchema<typeof notificationReportAnswerSchema>;

const presentCounts = (counts: DeliveryCounts): DeliveryCountsWire => ({
  total: counts.total,
  sent: counts.sent,
  pending: counts.pending,
  failed: counts.failed,
});

const isPurpose = (purpose: string): purpose is MessagePurpose => (MESSAGE_PURPOSES as readonly string[]).includes(purpose);

export const presentNotificationTotals = (totals: NotificationTotals): NotificationTotalsWire => ({
  incident_id: totals.incidentId,
  totals: presentCounts(totals.totals),
  by_purpose: Object.fromEntries(
    Object.entries(totals.byPurpose).flatMap(([purpose, counts]) => (isPurpose(purpose) ? [[purpose, presentCounts(counts)]] : [])),
  ),
});

export const presentFailedNotice = (notice: FailedNotice): FailedNoticeWire => ({
  account_id: notice.accountId,
  message_id: notice.messageId,
  // Read back from the messages table, which only ever receives a `MessagePurpose`.
  purpose: notice.purpose as MessagePurpose,
  recipient: notice.recipient,
  attempts: notice.attempts,
  error: notice.error,
  server_response: notice.serverResponse,
});

export const presentNotifyRequest = (request: NotifyRequest, totals: NotificationTotals): NotifyAnswer => ({
  notification: {
    incident_id: request.incidentId,
    scope_version: request.scopeVersion,
    users: request.users,
    retry_failed: request.retryFailed,
    job_id: request.jobId,
  },
  report: presentNotificationTotals(totals),
});

/**
 * The report page: the totals, and the page `pageBody` built (its accounts,
 * already in wire names, and its links), with the failures of its accounts.
 */
export function presentNotificationReport(
  totals: NotificationTotals,
  page: Record<string, unknown>,
  failed: readonly FailedNotice[],
): NotificationReportAnswer {
  const { accounts, ...links } = page as { accounts: AccountDelivery[] } & PageLinksWire;
  return {
    ...presentNotificationTotals(totals),
    accounts: accounts.map((account) => ({
      id: account.id,
      subdomain: account.subdomain,
      sent: account.sent,
      pending: account.pending,
      failed: account.failed,
    })),
    failed: failed.map(presentFailedNotice),
    ...links,
  };
}
