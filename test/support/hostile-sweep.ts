/**
 * Sends the hostile sweep's requests and judges each answer: no 5xx (but a
 * load-shedding 503 that says when to retry), no secret or tenant B canary
 * the request did not carry, no script reflected into a page, no header
 * injected, no redirect to a hostile origin. Records which attacks each
 * route received, so a route that escapes a category is itself a failure.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { routeName, type RouteShape } from './hostile-routes.js';
import { REFLECTED_MARKUP, VALUE_CATEGORIES } from './hostile-values.js';
import { CANARY, type HostileWorld } from './hostile-world.js';

export const ATTACKS = [
  'no credentials',
  'wrong credentials',
  'stale credentials',
  'foreign credentials',
  'customer credentials',
  'foreign records',
  'baseline',
  'oversized body',
  'malformed body',
  ...VALUE_CATEGORIES,
  'hostile host',
  'forwarded headers',
  'hostile cookies',
] as const;
export type Attack = (typeof ATTACKS)[number];

export interface Attempt {
  shape: RouteShape;
  attack: Attack;
  /** What exactly was tried, for the failure message. */
  detail: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** Sent with the operator's credentials to an operator route: may see any tenant's data, never a secret. */
  privileged?: boolean;
}

const asText = (payload: string | Buffer | undefined): string => (payload === undefined ? '' : payload.toString());

/** A redirect target on a hostile origin or a script URL (resolved as a browser would, from an account's page). */
function isHostileTarget(location: string): boolean {
  try {
    const target = new URL(location.trim(), 'https://acme.localhost/page');
    return target.protocol === 'javascript:' || target.hostname.endsWith('evil.test');
  } catch {
    return false;
  }
}

/** What is wrong with one answer; empty when nothing is. */
export function problemsOf(attempt: Attempt, response: LightMyRequestResponse, secrets: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const sent = `${attempt.url}\n${JSON.stringify(attempt.headers)}\n${asText(attempt.payload)}`;
  const received = `${JSON.stringify(response.headers)}\n${response.body}`;
  const retryable = response.statusCode === 503 && response.headers['retry-after'] !== undefined;
  if (response.statusCode >= 500 && !retryable) problems.push(`answers ${response.statusCode}: ${response.body.slice(0, 160)}`);
  for (const secret of secrets)
    if (received.includes(secret) && !sent.includes(secret)) problems.push(`leaks the secret ${secret.slice(0, 10)}…`);
  const canaryAt = received.toLowerCase().indexOf(CANARY.toLowerCase());
  if (attempt.privileged !== true && canaryAt >= 0 && !sent.toLowerCase().includes(CANARY.toLowerCase()))
    problems.push(`leaks tenant B's data: …${received.slice(Math.max(0, canaryAt - 60), canaryAt + 20)}…`);
  if (String(response.headers['content-type']).startsWith('text/html'))
    for (const markup of REFLECTED_MARKUP) if (response.body.includes(markup)) problems.push(`reflects ${markup} into a page`);
  if (Object.keys(response.headers).includes('injected') || String(response.headers['set-cookie']).includes('injected='))
    problems.push('lets a header be injected');
  const location = response.headers.location;
  if (typeof location === 'string' && isHostileTarget(location)) problems.push(`redirects to ${location.slice(0, 80)}`);
  return problems;
}

export class HostileSweep {
  readonly failures: string[] = [];
  private readonly coverage = new Map<string, Set<Attack>>();
  requests = 0;

  constructor(private readonly world: HostileWorld) {}

  /** Sends one attempt and notes what is wrong with the answer. */
  async send(attempt: Attempt): Promise<void> {
    const route = routeName(attempt.shape);
    const seen = this.coverage.get(route) ?? new Set<Attack>();
    this.coverage.set(route, seen.add(attempt.attack));
    this.requests += 1;
    const request = {
      method: attempt.shape.method,
      url: attempt.url,
      headers: attempt.headers,
      // Each request from an address of its own, as from a botnet: per-address rate limits stay out of the way of the handlers under attack.
      remoteAddress: `10.${(this.requests >> 16) & 255}.${(this.requests >> 8) & 255}.${this.requests & 255}`,
      ...(attempt.payload === undefined ? {} : { payload: attempt.payload }),
    } as InjectOptions;
    try {
      const response = await this.world.app.inject(request);
      for (const problem of problemsOf(attempt, response, this.world.secrets))
        this.failures.push(`${route} [${attempt.attack}: ${attempt.detail}] ${problem}`);
    } catch (error) {
      // The server dropped the connection instead of answering: as bad as a 5xx.
      this.failures.push(`${route} [${attempt.attack}: ${attempt.detail}] gets no answer: ${String(error)}`);
    }
  }

  /** The attacks of `expected` some route never received. */
  missing(routes: readonly RouteShape[], expected: readonly Attack[]): string[] {
    return routes.flatMap((shape) => {
      const seen = this.coverage.get(routeName(shape)) ?? new Set<Attack>();
      const absent = expected.filter((attack) => !seen.has(attack));
      return absent.length === 0 ? [] : [`${routeName(shape)}: ${absent.join(', ')}`];
    });
  }

  /** The failures so far, and starts afresh (one phase's test asserts on its own). */
  takeFailures(): string[] {
    return this.failures.splice(0);
  }
}
