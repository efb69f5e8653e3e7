import crypto from 'node:crypto';

/** Standard Webhooks' secret prefix: `whsec_` then the base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A fresh signing secret, in the form shown once to whoever registers the endpoint. */
export const newWebhookSecret = (): string => `${SECRET_PREFIX}${crypto.randomBytes(SECRET_BYTES).toString('base64')}`;

/**
 * The headers of one delivery, per the Standard Webhooks specification:
 * `webhook-signature` is `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)),
 * the key being the secret's base64 part decoded; the timestamp in whole seconds.
 *
 * @example
 * const headers = webhookHeaders(secret, 'evt_x', new Date(), '{"type":"certificate.revoked",...}');
 */
export function webhookHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const signature = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
