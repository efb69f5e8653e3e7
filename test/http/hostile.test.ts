/**
 * The hostile sweep: every route the application registers (hidden ones
 * too, seen as they are registered, so a new route is covered without a
 * list) gets missing, wrong, stale and foreign credentials, broken and
 * oversized bodies, a hostile value of every category in every field and
 * parameter, and hostile headers. No answer may be a 5xx (but a
 * load-shedding 503 that says when to retry), carry a secret or tenant B's
 * data it was not sent, reflect script into a page, let a header be injected
 * or redirect to a hostile origin; and the server still answers afterwards.
 * Attacks, values and checks live in test/support/hostile-*.ts.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../support/databases.js';
import { bodyAttempts, credentialAttempts, headerAttempts, valueAttempts } from '../support/hostile-attacks.js';
import { inSweepOrder, routeName, type RouteShape } from '../support/hostile-routes.js';
import { ATTACKS, HostileSweep, problemsOf, type Attempt } from '../support/hostile-sweep.js';
import { REFLECTED_MARKUP } from '../support/hostile-values.js';
import { CANARY, openHostileWorld, type HostileWorld } from '../support/hostile-world.js';
import { IN_ORDER } from '../support/in-order.js';

/** Each backend draws its own hostile values (the same ones on every run), so the two runs cover more between them. */
const SEEDS: Record<Backend, number> = { sqlite: 1, postgres: 2 };

describe.each(backends)('hostile sweep of every route on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let world: HostileWorld;
  let sweep: HostileSweep;

  beforeAll(async () => {
    world = await openHostileWorld(backend);
    sweep = new HostileSweep(world);
  });
  afterAll(async () => {
    await world.close();
  });

  /** Sends each route's attempts in turn, signing the sweep's own caller in again when an attack (a sign-out) ended it. */
  async function sweepRoutes(attemptsOf: (shape: RouteShape) => Attempt[]): Promise<string[]> {
    for (const shape of inSweepOrder(world.routes)) {
      await world.ensureSignedIn(shape.operator ? 'operator' : 'customer');
      for (const attempt of attemptsOf(shape)) await sweep.send(attempt);
    }
    return sweep.takeFailures();
  }

  it('sees every route, the hidden ones and every one in the OpenAPI document', () => {
    const seen = new Set(world.routes.map(routeName));
    const documented = Object.entries((world.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.filter((route) => !seen.has(route))).toEqual([]);
    for (const hidden of ['GET /metrics', 'GET /ops/console/*', 'GET /access/sign_in', 'GET /docs/json']) expect(seen).toContain(hidden);
    expect(seen.size).toBeGreaterThan(documented.length);
  });

  it('can fail: it catches a 5xx, a leaked secret, tenant B data, reflected script, an injected header and a hostile redirect', () => {
    const shape: RouteShape = { method: 'GET', url: '/', body: undefined, querystring: undefined, operator: false };
    const attempt: Attempt = { shape, attack: 'baseline', detail: 'probe', url: '/', headers: {} };
    const answer = (statusCode: number, body: string, headers: Record<string, string> = {}): LightMyRequestResponse =>
      ({ statusCode, body, headers: { 'content-type': 'application/json', ...headers } }) as unknown as LightMyRequestResponse;
    const problems = (response: LightMyRequestResponse): number => problemsOf(attempt, response, world.secrets).length;
    expect(problems(answer(500, '{}'))).toBe(1);
    expect(problems(answer(503, '{}'))).toBe(1);
    expect(problems(answer(503, '{}', { 'retry-after': '1' }))).toBe(0);
    expect(problems(answer(200, JSON.stringify({ token: world.globex.apiToken })))).toBe(1);
    expect(problems(answer(200, `{"email":"admin-${CANARY.toLowerCase()}@globex.test"}`))).toBe(1);
    expect(problems(answer(200, `<p>${REFLECTED_MARKUP[0] ?? ''}</p>`, { 'content-type': 'text/html' }))).toBe(1);
    expect(problems(answer(200, '{}', { 'set-cookie': 'injected=1' }))).toBe(1);
    expect(problems(answer(302, '', { location: 'https://evil.test/x' }))).toBe(1);
    expect(problems(answer(200, '{"ok":true}'))).toBe(0);
  });

  it('answers no, wrong, stale and foreign credentials on every route without a 5xx or a leak', async () => {
    expect(await sweepRoutes((shape) => credentialAttempts(world, shape))).toEqual([]);
  }, 180_000);

  it('refuses oversized, malformed, mistyped and deeply nested bodies on every route', async () => {
    expect(await sweepRoutes((shape) => bodyAttempts(world, shape))).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 180_000);

  it('takes a hostile value of every category in every body field, path segment and query parameter', async () => {
    expect(await sweepRoutes((shape) => valueAttempts(world, shape, SEEDS[backend]))).toEqual([]);
  }, 180_000);

  it('takes hostile Host, X-Forwarded-* and Cookie headers on every route', async () => {
    expect(await sweepRoutes((shape) => headerAttempts(world, shape))).toEqual([]);
  }, 180_000);

  it('gave every route every attack, and still answers afterwards', async () => {
    expect(
      sweep.missing(
        world.routes,
        ATTACKS.filter((attack) => attack !== 'foreign records'),
      ),
    ).toEqual([]);
    const health = await world.app.inject({ url: '/healthz', headers: { host: world.acme.host } });
    expect(health.statusCode).toBe(200);
    await world.ensureSignedIn('customer');
    await world.ensureSignedIn('operator');
  });
});
