import type { ServerOptions } from 'node:http';
import type { Config } from '../../config/config.js';

export type TimeoutConfig = Partial<Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'idleTimeoutMs'>>;

/** The documented defaults (README, "Transport, listeners and files"), also the settings' defaults. */
export const LISTENER_TIMEOUT_DEFAULTS = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  // Longer than a load balancer's usual idle timeout (60 s), so the balancer closes first.
  keepAliveTimeoutMs: 72_000,
  idleTimeoutMs: 120_000,
} as const;

export interface ListenerTimeouts {
  /** Options for `http.createServer` / `https.createServer`. */
  server: Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval'>;
  /** Socket inactivity, either way, after which the socket is destroyed (`server.setTimeout`). */
  idleTimeoutMs: number;
}

/**
 * Every listener's timeouts, from the configuration: the whole header block
 * within `headersTimeoutMs` (slowloris), the whole request within
 * `requestTimeoutMs` (slow bodies), an idle keep-alive connection closed after
 * `keepAliveTimeoutMs`, any silent socket after `idleTimeoutMs` (event
 * streams send heartbeats well within it). Node checks the first two every
 * `connectionsCheckingInterval`, kept below the headers timeout.
 *
 * @example
 * const timeouts = listenerTimeouts(config);
 * https.createServer({ ...tlsOptions, ...timeouts.server }, handler).setTimeout(timeouts.idleTimeoutMs);
 */
export function listenerTimeouts(config: TimeoutConfig): ListenerTimeouts {
  const requestTimeout = config.requestTimeoutMs ?? LISTENER_TIMEOUT_DEFAULTS.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(config.headersTimeoutMs ?? LISTENER_TIMEOUT_DEFAULTS.headersTimeoutMs, requestTimeout);
  return {
    server: {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: config.keepAliveTimeoutMs ?? LISTENER_TIMEOUT_DEFAULTS.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 2))),
    },
    idleTimeoutMs: config.idleTimeoutMs ?? LISTENER_TIMEOUT_DEFAULTS.idleTimeoutMs,
  };
}
