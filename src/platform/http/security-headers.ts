import type { FastifyInstance } from 'fastify';

/**
 * Headers every response carries unless its route chose its own (the console's
 * and the advisory's pages set a content security policy that lets them render).
 * An API answer is data, never a page: nothing may frame, sniff or cache it.
 */
const EVERY_RESPONSE = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const DATA_RESPONSE = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
} as const;

const isDataType = (contentType: unknown): boolean =>
  typeof contentType !== 'string' || contentType.startsWith('application/json') || contentType.startsWith('text/plain');

/**
 * Adds the default security headers (OWASP ASVS 8.2.1, 14.4.3, 14.4.4, 14.4.6,
 * 14.4.7) to every response the application sends, without overriding a
 * header a route set on purpose.
 *
 * @example
 * installSecurityHeaders(app); // before the routes are registered
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    for (const [name, value] of Object.entries(EVERY_RESPONSE)) if (!reply.hasHeader(name)) void reply.header(name, value);
    if (isDataType(reply.getHeader('content-type'))) {
      for (const [name, value] of Object.entries(DATA_RESPONSE)) if (!reply.hasHeader(name)) void reply.header(name, value);
    }
    done(null, payload);
  });
}
