import type { RequestListener } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.js';
import { listenerTimeouts, type TimeoutConfig } from '../../platform/http/listener-timeouts.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { dispatchByServerName } from './client-hello.js';
import { ensureDefaultCertificate, type DefaultCertificate } from './default-certificate.js';
import { ServedCertificates } from './served-certificates.js';

export interface HttpsDeps extends Pick<ServiceDeps, 'db' | 'keyring' | 'clock'> {
  config: Pick<Config, 'httpsPort' | 'host' | 'dataDir' | 'baseDomain'> & TimeoutConfig;
}

export interface HttpsServerOptions {
  /** Overrides `config.httpsPort` (tests pass 0 for any free port). */
  port?: number;
  /** Served to names that are no account's mapped domain; absent: the embedded default's self-signed one. */
  defaultCertificate?: DefaultCertificate;
  /** How often the change marker is read (default 1 s). */
  pollIntervalMs?: number;
}

export interface RunningHttpsServer {
  /** The listener; TLS itself runs in two servers behind it (see `client-hello.ts`). */
  server: net.Server;
  port: number;
  url: string;
  certificates: ServedCertificates;
  close(): Promise<void>;
}

/**
 * Serves `app` — the very application that answers HTTP, its routes, hooks
 * and error handler — over TLS as well, picking the certificate by SNI: an
 * account's mapped domain gets its active certificate, anything else (a
 * subdomain of the base domain, an IP address, no SNI) the default one.
 *
 * @example
 * const app = await buildApp(runtime);
 * const tlsServer = await startHttpsServer(runtime, app);
 * // later: await tlsServer.close();
 */
export async function startHttpsServer(
  deps: HttpsDeps,
  app: FastifyInstance,
  options: HttpsServerOptions = {},
): Promise<RunningHttpsServer> {
  const { config } = deps;
  const defaultCertificate = options.defaultCertificate ?? (await ensureDefaultCertificate(config.dataDir, config.baseDomain, deps.clock));
  const certificates = new ServedCertificates(deps, defaultCertificate, {
    baseDomain: config.baseDomain,
    log: app.log,
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  });
  await certificates.start();
  const handle: RequestListener = (request, response) => app.routing(request, response);
  // The same headers, request, keep-alive and idle timeouts as the HTTP listener.
  const timeouts = listenerTimeouts(config);
  // Clients that name a server: every certificate, the default included, comes from the SNICallback.
  const bySni = https.createServer({ SNICallback: certificates.sniCallback, minVersion: 'TLSv1.2', ...timeouts.server }, handle);
  // Clients that name none (an IP address, old clients): the default certificate.
  const withoutSni = https.createServer(
    { cert: defaultCertificate.certificatePem, key: defaultCertificate.privateKeyPem, minVersion: 'TLSv1.2', ...timeouts.server },
    handle,
  );
  for (const tlsServer of [bySni, withoutSni]) {
    tlsServer.setTimeout(timeouts.idleTimeoutMs);
    // These servers never listen (connections are handed to them), yet Node enforces the headers and
    // request timeouts only from its connection check that 'listening' starts; close() stops it.
    tlsServer.emit('listening');
  }
  const server = net.createServer();
  const connections = dispatchByServerName(server, bySni, withoutSni);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? config.httpsPort, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    certificates.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  app.log.info({ port }, `HTTPS is listening on https://${config.baseDomain}:${port} (SNI serves mapped domains their certificates)`);
  return {
    server,
    port,
    url: `https://${config.baseDomain}:${port}`,
    certificates,
    close: () =>
      new Promise<void>((resolve) => {
        certificates.stop();
        for (const tlsServer of [bySni, withoutSni]) tlsServer.close();
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      }),
  };
}
