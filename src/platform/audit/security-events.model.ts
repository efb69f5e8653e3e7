import { randomDraws } from '../crypto/random-draws.js';
import type { AuditEventRow, SecurityEventsTable } from '../../db/schema.js';

/**
 * The audit actions that are security events, and the public type each leaves
 * Riposte as (README, "Security events out"). A fixed list: a new audit action
 * becomes a public event only by being added here, so nothing internal leaks
 * to customers' endpoints by accident, and the types are a stable interface.
 *
 * Why an outbox filled with the audit event rather than a cursor over the
 * audit trail per subscription: the trail is chained per account, so an
 * operators' subscription would need a cursor per account; retention purges
 * the trail on its own schedule; and a subscription registered later would
 * have to skip history. A row written in the audit event's transaction exists
 * exactly when the change committed, and carries the body every endpoint and
 * the SIEM stream get, byte for byte.
 */
export const SECURITY_EVENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  'security.sign_in_failures_sustained': 'sign_in.failures_sustained',
  'security.sign_in_locked': 'sign_in.locked',
  'certificate.uploaded': 'certificate.uploaded',
  'certificate.activated': 'certificate.activated',
  'certificate.superseded': 'certificate.superseded',
  'certificate.revoked': 'certificate.revoked',
  'app_installation.created': 'installation.created',
  'app_installation.updated': 'installation.updated',
  'app_installation.deleted': 'installation.deleted',
  'staff_access.granted': 'staff_access.granted',
  'staff_access.revoked': 'staff_access.revoked',
  'staff_access.expired': 'staff_access.expired',
  'password.rotation_forced': 'rotation.flagged',
  'password.api_access_revoked': 'rotation.api_access_revoked',
  'password.exposed_credential_attempt': 'password.exposed_credential_attempt',
  'api_token.created': 'api_token.created',
  'api_token.deleted': 'api_token.deleted',
  'oauth_client.secret_regenerated': 'oauth_client.secret_regenerated',
  'oauth_token.refresh_reused': 'oauth_token.refresh_reused',
  'oauth_code.replayed': 'oauth_code.replayed',
  'sso_config.updated': 'sso.config_changed',
  'security_webhook.created': 'webhook.created',
  'security_webhook.deleted': 'webhook.deleted',
  // The platform's own chain (account 0): operators' subscriptions and the SIEM stream only.
  'rotation_campaign.started': 'rotation_campaign.started',
  'rotation_campaign.finished': 'rotation_campaign.finished',
  'keys.rewrapped': 'keys.rotated',
  'staff.created': 'staff.created',
  'staff.disabled': 'staff.disabled',
});

/** Every public type, sorted: what a subscription may filter on. */
export const PUBLIC_SECURITY_EVENT_TYPES: readonly string[] = Object.freeze([...new Set(Object.values(SECURITY_EVENT_TYPES))].sort());

/** The JSON every endpoint and the SIEM stream receive: Standard Webhooks' `type`, `timestamp`, `data`. */
export interface SecurityEventBody {
  type: string;
  timestamp: string;
  data: {
    id: string;
    account_id: number;
    action: string;
    audit_seq: number;
    actor: { type: string; id: string | null };
    target: { type: string; id: string } | null;
    details: Record<string, unknown>;
  };
}

// A rotation batch writes an event per account: ids come from the CSPRNG a block at a time.
const drawEventIdBytes = randomDraws(16);
const newEventId = (): string => `evt_${drawEventIdBytes().toString('base64url')}`;

/** The security events among freshly written audit rows (none for most actions). */
export function securityEventsOf(rows: readonly AuditEventRow[]): SecurityEventsTable[] {
  const events: SecurityEventsTable[] = [];
  for (const row of rows) {
    const type = SECURITY_EVENT_TYPES[row.action];
    if (type === undefined) continue;
    const id = newEventId();
    const body: SecurityEventBody = {
      type,
      timestamp: row.occurred_at,
      data: {
        id,
        account_id: Number(row.account_id),
        action: row.action,
        audit_seq: Number(row.seq),
        actor: { type: row.actor_type, id: row.actor_id },
        target: row.target_type === null || row.target_id === null ? null : { type: row.target_type, id: row.target_id },
        // The chain's hashed data: ids, counts and kinds, never personal values (those stay in `personal_data`).
        details: JSON.parse(row.data) as Record<string, unknown>,
      },
    };
    events.push({
      account_id: Number(row.account_id),
      audit_seq: Number(row.seq),
      event_id: id,
      type,
      occurred_at: row.occurred_at,
      body: JSON.stringify(body),
      dispatched_at: null,
    });
  }
  return events;
}
