import type { Config } from '../../config/config.js';

/** proxy-addr's trust function: is the address `hop` steps from the server (0: the socket's peer) a proxy to trust? */
export type TrustProxyFunction = (address: string, hop: number) => boolean;

/**
 * `RIPOSTE_TRUST_PROXY` as Fastify's `trustProxy` option (proxy-addr): an
 * address list as is; a hop count as a function trusting that many hops
 * from the server, since Fastify no longer honours a bare number. With
 * a hop count of 1 the client is the entry the proxy appended to
 * X-Forwarded-For, whatever the client wrote before it.
 *
 * @example
 * Fastify({ trustProxy: fastifyTrustProxy(config.trustProxy) });
 */
export function fastifyTrustProxy(setting: Config['trustProxy']): false | string[] | TrustProxyFunction {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}
