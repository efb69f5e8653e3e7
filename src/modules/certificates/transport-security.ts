import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { AccountResolver, hostOf, isOperatorHost, parseHost } from '../accounts/tenancy.js';

/** Two years, the HSTS preload list's minimum being one. */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

/** Load balancers probe these over plain HTTP; they never redirect. */
const HEALTH_CHECK = /^\/(healthz|readyz)(?:[/?]|$)/;

export type TransportConfig = Pick<Config, 'baseDomain' | 'publicUrl'> & Partial<Pick<Config, 'opsHost'>>;

/**
 * The Strict-Transport-Security value for a request's host. The base domain
 * and its subdomains are the vendor's, all served over HTTPS with the default
 * certificate, so they take `includeSubDomains`; a mapped domain belongs to
 * the customer, whose other subdomains Riposte must not pin to HTTPS.
 */
export function hstsValueFor(hostHeader: string | undefined, baseDomain: string): string {
  const ours = parseHost(hostHeader, baseDomain).kind !== 'mapped';
  return ours ? `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains` : `max-age=${HSTS_MAX_AGE_SECONDS}`;
}

const hostNotServed = (): AppError =>
  new AppError(
    'HostNotServed',
    'No site answers at this host. Use the base domain, your account subdomain or its mapped domain, over https://.',
  );

/**
 * Where a plain-HTTP request belongs over HTTPS, or null when its Host is none
 * of Riposte's (the base domain, the operator host, an account subdomain or a
 * mapped domain): an arbitrary Host is never echoed into a Location.
 */
async function httpsLocationOf(request: FastifyRequest, config: TransportConfig, resolver: AccountResolver): Promise<string | null> {
  const name = parseHost(request.headers.host, config.baseDomain);
  const hostname = hostOf(request.headers.host ?? '');
  const known =
    hostname === config.baseDomain ||
    isOperatorHost(request.headers.host, config) ||
    name.kind === 'subdomain' ||
    (name.kind === 'mapped' && (await resolver.resolveName(name)) !== null);
  if (!known) return null;
  const port = new URL(config.publicUrl).port;
  const path = request.originalUrl.startsWith('/') ? request.originalUrl : '/';
  return `https://${hostname}${port === '' ? '' : `:${port}`}${path}`;
}

/**
 * Transport security for every listener serving `app`: HTTPS responses carry
 * HSTS (TLS told apart by `request.protocol`: the socket's own, or a trusted
 * proxy's X-Forwarded-Proto), and when the public URL is https:// plain HTTP
 * gets a 308 to the same host and path over HTTPS, health checks excepted.
 *
 * @example
 * installTransportSecurity(app, config, db); // at the root, before the routes
 */
export function installTransportSecurity(app: FastifyInstance, config: TransportConfig, db: Queryable): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.protocol === 'https') void reply.header('strict-transport-security', hstsValueFor(request.headers.host, config.baseDomain));
    done(null, payload);
  });
  if (!config.publicUrl.startsWith('https://')) return;
  const resolver = new AccountResolver(db, config.baseDomain);
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https' || HEALTH_CHECK.test(request.url)) return;
    const location = await httpsLocationOf(request, config, resolver);
    if (location === null) throw hostNotServed();
    return reply.code(308).header('location', location).send();
  });
}
