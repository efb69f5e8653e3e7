import { vendorIdentity } from '../../config/vendor.js';
import { decryptSecretsConfidential } from '../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { classifySendError, MAX_DELIVERY_ATTEMPTS, retryDelaySeconds, type DeliveryFailure } from './delivery-failures.js';
import { createMailTransport, type MailTransport } from './mail-transport.js';
import { messageIdFor } from './message-id.js';
import {
  claimDueMessages,
  markMessageFailed,
  markMessageForRetry,
  markMessageSent,
  nextOutboxWakeUp,
  type MessageRow,
} from './outbox.repo.js';
import { renderStoredMessage } from './templates/index.js';

export type CourierDeps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'config'>;

/** How long a sender holds a message it is sending; a crashed sender's messages are taken up again after it. */
export const SENDING_LEASE_MS = 5 * 60 * 1000;

export interface DrainOptions {
  /** Messages claimed at a time. Default: 10 per pooled connection. */
  batchSize?: number;
  /** Stop claiming after this long and report `more` (a job then continues), so one run never holds a worker for long. */
  maxDurationMs?: number;
  /** Use this transport (kept open) instead of one made from the settings for the run. */
  transport?: MailTransport;
}

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  /** True when the run stopped at `maxDurationMs` with messages still due. */
  more: boolean;
  /** The next time something in the outbox falls due (a retry, a lease), or null. */
  nextWakeUp: string | null;
}

/** Paces sends to `rate` a second (0: no limit): each call resolves at the next free slot. */
export function throttle(rate: number): () => Promise<void> {
  if (rate <= 0) return () => Promise.resolve();
  const interval = 1000 / rate;
  let nextSlot = performance.now();
  return async () => {
    const now = performance.now();
    const slot = Math.max(nextSlot, now);
    nextSlot = slot + interval;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  };
}

// One pace per rate for the whole process, so that drains running side by side share RIPOSTE_MAIL_RATE.
const processThrottles = new Map<number, () => Promise<void>>();
function processThrottle(rate: number): () => Promise<void> {
  let pace = processThrottles.get(rate);
  if (pace === undefined) {
    pace = throttle(rate);
    processThrottles.set(rate, pace);
  }
  return pace;
}

/** Decrypts a batch's data in one read; a record that fails alone is reported for that message only. */
async function readBatchData(deps: CourierDeps, messages: readonly MessageRow[]): Promise<Array<unknown>> {
  const sealed = messages.map((m) => ({
    accountId: Number(m.account_id),
    table: 'messages',
    column: 'template_data',
    rowId: Number(m.id),
    sealed: m.template_data,
  }));
  try {
    return (await decryptSecretsConfidential(deps.db, deps.keyring, sealed)).map((text) => JSON.parse(text) as unknown);
  } catch {
    return Promise.all(
      sealed.map((one) =>
        decryptSecretsConfidential(deps.db, deps.keyring, [one]).then(
          ([text]) => JSON.parse(text ?? 'null') as unknown,
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        ),
      ),
    );
  }
}

async function recordFailure(deps: CourierDeps, message: MessageRow, failure: DeliveryFailure): Promise<'retried' | 'failed'> {
  // Counted since an operator last queued the message again, if ever.
  const attempts = message.attempts - message.attempts_at_requeue;
  if (failure.kind === 'temporary' && attempts < MAX_DELIVERY_ATTEMPTS) {
    const next = new Date(deps.clock.now().getTime() + retryDelaySeconds(attempts) * 1000).toISOString();
    await markMessageForRetry(deps.db, message, next, failure.description, failure.response);
    return 'retried';
  }
  const reason = failure.kind === 'temporary' ? `Gave up after ${attempts} attempts; last: ${failure.description}` : failure.description;
  await markMessageFailed(deps.db, message, reason, failure.response);
  return 'failed';
}

/** Renders and sends one claimed message, then records the outcome at once. */
async function deliverOne(
  deps: CourierDeps,
  transport: MailTransport,
  message: MessageRow,
  data: unknown,
): Promise<'sent' | 'retried' | 'failed'> {
  const messageId = messageIdFor(Number(message.account_id), message.idempotency_key, deps.config.mailFrom);
  // Read at each send, not stored with the message: who signs and who answers follow the settings.
  const vendor = vendorIdentity(deps.config);
  let rendered;
  try {
    if (data instanceof Error) throw data;
    rendered = renderStoredMessage(message.purpose, message.locale, data, vendor);
  } catch (error) {
    // A message that cannot be read or rendered never will be: fail it with the reason.
    const reason = `Not sent: ${error instanceof Error ? error.message : String(error)}`;
    return recordFailure(deps, message, { kind: 'permanent', description: reason, response: null });
  }
  let response: string;
  try {
    ({ response } = await transport.send({
      from: deps.config.mailFrom,
      replyTo: vendor.replyTo,
      to: message.recipient,
      ...rendered,
      messageId,
      date: deps.clock.now(),
    }));
  } catch (error) {
    return recordFailure(deps, message, classifySendError(error));
  }
  // Recorded right after the server's 250: from here on the message is never sent again.
  await markMessageSent(deps.db, message, deps.clock.now().toISOString(), response.slice(0, 2000), messageId);
  return 'sent';
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
async function eachLimited<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
}

/**
 * Sends what is due in the outbox: claims a batch under a lease (set-based),
 * renders each message in its language, sends it through the transport with
 * as many in flight as the pool has connections, paced by `RIPOSTE_MAIL_RATE`,
 * and records each outcome as soon as it is known: `sent` after the server's
 * 250, a later attempt after a temporary failure, `failed` with the server's
 * answer after a permanent one. Repeats until nothing is due.
 *
 * @example
 * const result = await drainOutbox(deps); // { sent: 12, retried: 1, failed: 0, more: false, nextWakeUp: '…' }
 */
export async function drainOutbox(deps: CourierDeps, options: DrainOptions = {}): Promise<DrainResult> {
  const transport = options.transport ?? createMailTransport(deps.config);
  const pace = processThrottle(deps.config.mailRate);
  const batchSize = options.batchSize ?? Math.max(10, deps.config.smtpPoolSize * 10);
  const started = performance.now();
  const result: DrainResult = { sent: 0, retried: 0, failed: 0, more: false, nextWakeUp: null };
  try {
    for (;;) {
      const now = deps.clock.now();
      const leaseUntil = new Date(now.getTime() + SENDING_LEASE_MS).toISOString();
      const claimed = await claimDueMessages(deps.db, now.toISOString(), leaseUntil, batchSize);
      if (claimed.length === 0) break;
      const data = await readBatchData(deps, claimed);
      await eachLimited(claimed, transport.kind === 'smtp' ? deps.config.smtpPoolSize : 1, async (message, index) => {
        await pace();
        result[await deliverOne(deps, transport, message, data[index])] += 1;
      });
      if (options.maxDurationMs !== undefined && performance.now() - started > options.maxDurationMs) {
        result.more = true;
        break;
      }
    }
  } finally {
    if (options.transport === undefined) transport.close();
  }
  result.nextWakeUp = await nextOutboxWakeUp(deps.db);
  return result;
}
