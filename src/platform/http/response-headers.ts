import type { FastifyInstance } from 'fastify';

/**
 * Headers every response carries unless its route chose its own (the console's
 * and the advisory's pages set a content security policy that lets them render).
 * An API answer is data, never a page: nothing may frame, sniff or cache it.
 */
const EVERY_RESPONSE: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['x-frame-options', 'DENY'],
];

const DATA_RESPONSE: ReadonlyArray<readonly [string, string]> = [
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"],
  ['cache-control', 'no-store'],
];

const isDataType = (contentType: unknown): boolean =>
  typeof contentType !== 'string' || contentType.startsWith('application/json') || contentType.startsWith('text/plain');

/**
 * Adds to every response the application sends its request id
 * (`x-request-id`, the one its log line carries) and the default security
 * headers (OWASP ASVS 8.2.1, 14.4.3, 14.4.4, 14.4.6, 14.4.7), without
 * overriding a header a route set on purpose. One hook for both: it runs on
 * every request.
 *
 * @example
 * installResponseHeaders(app); // before the routes are registered
 */
export function installResponseHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    for (const [name, value] of EVERY_RESPONSE) if (!reply.hasHeader(name)) void reply.header(name, value);
    if (isDataType(reply.getHeader('content-type'))) {
      for (const [name, value] of DATA_RESPONSE) if (!reply.hasHeader(name)) void reply.header(name, value);
    }
    done(null, payload);
  });
}
