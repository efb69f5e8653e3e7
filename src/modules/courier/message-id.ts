import crypto from 'node:crypto';

/** The domain of the From address (`Riposte <no-reply@example.com>` → `example.com`). */
export function domainOfAddress(address: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(address.trim());
  return match?.[1]?.toLowerCase() ?? 'riposte.localhost';
}

/**
 * The Message-ID of a message, the same on every attempt because it derives
 * from the idempotency key: a receiver (or a test) can tell a resend of the
 * same message from a new one.
 *
 * @example
 * messageIdFor(7, 'password_reset:42', 'Riposte <no-reply@example.com>'); // '<3f9a…@example.com>'
 */
export function messageIdFor(accountId: number, idempotencyKey: string, from: string): string {
  const digest = crypto.createHash('sha256').update(`${accountId}\n${idempotencyKey}`).digest('hex').slice(0, 40);
  return `<${digest}@${domainOfAddress(from)}>`;
}
