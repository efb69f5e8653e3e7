import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { invalid } from '../../errors.js';

/** How long one delivery may take, connection to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;

const BLOCKED = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv6');

/** Loopback, private, link-local (cloud metadata), shared, multicast or reserved: never a customer's endpoint. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const isLocalHostname = (hostname: string): boolean =>
  hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '127.0.0.1' || hostname === '[::1]';

/**
 * Checks an endpoint URL as given by whoever registers it: https (http only to
 * this machine, in development), no credentials, no private address written
 * as an IP. Names are checked again at every connection (`guardedLookup`),
 * since what a name resolves to may change after registration.
 */
export function checkWebhookUrl(value: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('The webhook URL is not an absolute URL.', { url: [{ description: 'must be an absolute https URL' }] });
  }
  const local = isLocalHostname(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local && allowPrivate))
    throw invalid('The webhook URL must use https, so that events travel encrypted.', { url: [{ description: 'must be an https URL' }] });
  if (url.username !== '' || url.password !== '')
    throw invalid('The webhook URL must not carry a user name or password; events are signed instead.', {
      url: [{ description: 'must not contain credentials' }],
    });
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (local || (net.isIP(literal) !== 0 && isPrivateAddress(literal))))
    throw invalid('The webhook URL points at a private or loopback address; give an endpoint reachable on the internet.', {
      url: [{ description: 'must not be a private, loopback or link-local address' }],
    });
  return url.toString();
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A DNS lookup that refuses private addresses: checked at connection time, so a name rebound after registration gains nothing. */
function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      const list = addresses;
      const refused = allowPrivate ? undefined : list.find((entry) => isPrivateAddress(entry.address));
      if (refused !== undefined) {
        const denied: NodeJS.ErrnoException = new Error(`${hostname} resolves to the private address ${refused.address}`);
        denied.code = 'EPRIVATEADDRESS';
        return callback(denied, []);
      }
      if (options.all === true) return callback(null, list);
      const first = list[0];
      if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}

export interface DeliveryAnswer {
  status: number;
}

/**
 * POSTs one event. Resolves with the endpoint's status (any), rejects on a
 * network failure, a refused address or the timeout. Redirects are not
 * followed: a 3xx is an answer like any other non-2xx.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean; timeoutMs?: number },
): Promise<DeliveryAnswer> {
  const target = new URL(url);
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  // An IP literal never goes through the lookup, so it is checked here.
  if (!options.allowPrivate && net.isIP(literal) !== 0 && isPrivateAddress(literal))
    return Promise.reject(new Error(`${literal} is a private address`));
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Riposte-Webhooks/1',
        },
        lookup: guardedLookup(options.allowPrivate),
        timeout: options.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      },
      (response) => {
        // The answer's body is not needed; drain it so the socket closes.
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? DELIVERY_TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
