import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../../config/config.js';
import { AppError } from '../../errors.js';
import type { ListenerTimeouts } from './listener-timeouts.js';
import { RequestDurations } from './request-durations.js';
import { endpointNotFound } from './route-shapes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus registry, also served by the metrics listener (`startMetricsListener`). */
    metricsRegistry: Registry;
  }
}

export type MetricsConfig = Partial<Pick<Config, 'metricsToken' | 'metricsAddress'>>;

const sha256 = (text: string): Buffer => crypto.createHash('sha256').update(text).digest();

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time (hashes of equal length). */
function bearerMatches(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization;
  const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  return crypto.timingSafeEqual(sha256(presented), sha256(token));
}

/**
 * Who may read /metrics on the main listeners: nobody when it has its own
 * listen address or no token is set (404, as if absent), else the bearer of
 * `RIPOSTE_METRICS_TOKEN`.
 */
function guardMetrics(request: FastifyRequest, config: MetricsConfig): void {
  if (config.metricsAddress !== undefined || config.metricsToken === undefined) throw endpointNotFound(request);
  if (!bearerMatches(request, config.metricsToken)) {
    throw new AppError('Unauthorized', 'Send Authorization: Bearer <RIPOSTE_METRICS_TOKEN> to read /metrics.');
  }
}

/** Prometheus metrics for one app instance, served at /metrics under the rules of `guardMetrics`. */
export function installMetrics(app: FastifyInstance, config: MetricsConfig = {}): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const durations = new RequestDurations(registry);
  app.decorate('metricsRegistry', registry);
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL, keeps label cardinality bounded.
    durations.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    guardMetrics(request, config);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return registry;
}

export interface RunningMetricsListener {
  url: string;
  close(): Promise<void>;
}

/** `host:port` as `listen` takes it (IPv6 without its brackets). */
export function splitListenAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}

/**
 * A listener of its own (`RIPOSTE_METRICS_ADDRESS`) serving only GET /metrics,
 * for a scraper on a private network; every other path is a 404.
 *
 * @example
 * const metrics = await startMetricsListener(app.metricsRegistry, '127.0.0.1:9100', listenerTimeouts(config));
 */
export async function startMetricsListener(
  registry: Registry,
  address: string,
  timeouts: ListenerTimeouts,
): Promise<RunningMetricsListener> {
  const server = http.createServer(timeouts.server, (request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: this listener serves only GET /metrics.\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  server.setTimeout(timeouts.idleTimeoutMs);
  const { host, port } = splitListenAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
