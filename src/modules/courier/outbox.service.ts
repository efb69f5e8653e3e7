import { reserveIds } from '../../db/sequences.js';
import type { Queryable } from '../../db/database.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { decryptSecretConfidential, sealSecret } from '../../platform/crypto/envelope.service.js';
import { insertMessageOnce, type MessageRow } from './outbox.repo.js';

export type MessagePurpose = 'password_reset' | 'customer_incident_notice' | 'user_rotation_notice' | 'staff_access_changed';

export interface OutgoingMessage {
  accountId: number;
  purpose: MessagePurpose;
  recipient: string;
  locale: string;
  /** One message per key and account: enqueueing twice queues once. */
  idempotencyKey: string;
  /** What the template renders. Sealed at rest, since it may hold a link that grants access. */
  data: Record<string, unknown>;
}

/**
 * Puts a message in the outbox (state `queued`), in the caller's transaction
 * when one is given, so the message exists exactly when the change does.
 */
export async function enqueueMessage(
  deps: Pick<ServiceDeps, 'clock' | 'keyring'>,
  db: Queryable,
  message: OutgoingMessage,
): Promise<boolean> {
  const id = await reserveIds(db, 'messages', 1);
  const now = deps.clock.now().toISOString();
  const sealed = await sealSecret(db, deps.keyring, deps.clock, {
    accountId: message.accountId,
    table: 'messages',
    column: 'template_data',
    rowId: id,
    plaintext: JSON.stringify(message.data),
  });
  const row: MessageRow = {
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
  };
  return insertMessageOnce(db, row);
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
