import { reserveIds } from '../../db/sequences.js';
import type { Queryable } from '../../db/database.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { decryptSecretConfidential, sealSecrets } from '../../platform/crypto/envelope.service.js';
import { existingIdempotencyKeys, insertMessageOnce, insertMessagesOnce, type MessageRow } from './outbox.repo.js';
import { enqueueCourierDrain } from './courier-drain.job.js';

export type MessagePurpose =
  'password_reset' | 'customer_incident_notice' | 'user_rotation_notice' | 'staff_access_changed' | 'exposed_credential_alert';

export interface OutgoingMessage {
  accountId: number;
  purpose: MessagePurpose;
  recipient: string;
  locale: string;
  /** One message per key and account: enqueueing twice queues once. */
  idempotencyKey: string;
  /** What the template renders (`templates/index.ts`, `TemplateDataByPurpose`). Sealed at rest, since it may hold a link that grants access. */
  data: Record<string, unknown>;
  /** The incident a notice is about, for the notification report. */
  incidentId?: number;
}

type EnqueueDeps = Pick<ServiceDeps, 'clock' | 'keyring'> & Partial<Pick<ServiceDeps, 'jobs'>>;

function rowOf(message: OutgoingMessage, id: number, sealed: string, now: string): MessageRow {
  return {
    account_id: message.accountId,
    id,
    idempotency_key: message.idempotencyKey,
    purpose: message.purpose,
    recipient: message.recipient,
    locale: message.locale,
    template_data: sealed,
    state: 'queued',
    attempts: 0,
    next_attempt_at: now,
    last_error: null,
    created_at: now,
    sent_at: null,
    lease_expires_at: null,
    last_response: null,
    message_id: null,
    incident_id: message.incidentId ?? null,
    attempts_at_requeue: 0,
  };
}

/**
 * Puts a message in the outbox (state `queued`), in the caller's transaction
 * when one is given, so the message exists exactly when the change does.
 * With `deps.jobs`, a courier drain is enqueued in the same transaction so the
 * message goes out at once; without, the server's periodic sweep sends it.
 */
export async function enqueueMessage(deps: EnqueueDeps, db: Queryable, message: OutgoingMessage): Promise<boolean> {
  const inserted = await enqueueMessages(deps, db, [message], 32_000);
  return inserted > 0;
}

/**
 * Queues many messages at once: one read of the keys already used, one block
 * of ids, one bulk seal and a few multi-row inserts; messages whose
 * idempotency key exists are skipped. Returns how many were queued.
 */
export async function enqueueMessages(
  deps: EnqueueDeps,
  db: Queryable,
  messages: readonly OutgoingMessage[],
  maxParameters: number,
): Promise<number> {
  const existing = await existingIdempotencyKeys(
    db,
    [...new Set(messages.map((m) => m.accountId))],
    [...new Set(messages.map((m) => m.idempotencyKey))],
  );
  const seen = new Set(existing);
  const fresh = messages.filter((m) => {
    const key = `${m.accountId}:${m.idempotencyKey}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (fresh.length === 0) return 0;
  const firstId = await reserveIds(db, 'messages', fresh.length);
  const now = deps.clock.now().toISOString();
  const sealed = await sealSecrets(
    db,
    deps.keyring,
    deps.clock,
    fresh.map((m, index) => ({
      accountId: m.accountId,
      table: 'messages',
      column: 'template_data',
      rowId: firstId + index,
      plaintext: JSON.stringify(m.data),
    })),
  );
  const rows = fresh.map((m, index) => rowOf(m, firstId + index, sealed[index] ?? '', now));
  const inserted =
    rows.length === 1 && rows[0] !== undefined
      ? Number(await insertMessageOnce(db, rows[0]))
      : await insertMessagesOnce(db, rows, maxParameters);
  if (inserted > 0 && deps.jobs !== undefined) await enqueueCourierDrain(deps.jobs, { transaction: db });
  return inserted;
}

/** The template data of a message, decrypted: for the sender only. */
export async function readMessageDataConfidential(
  deps: Pick<ServiceDeps, 'db' | 'keyring'>,
  message: MessageRow,
): Promise<Record<string, unknown>> {
  const plaintext = await decryptSecretConfidential(deps.db, deps.keyring, {
    accountId: Number(message.account_id),
    table: 'messages',
    column: 'template_data',
    rowId: Number(message.id),
    sealed: message.template_data,
  });
  return JSON.parse(plaintext) as Record<string, unknown>;
}
