import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { startHttpsServer, type RunningHttpsServer } from './https-server.js';

const MAPPED = 'help.acme.test';
const ONE_YEAR = 31_536_000;

/** A GET over the real TLS listener: status and headers. */
function httpsGet(port: number, host: string, path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: '127.0.0.1', port, servername: host, path, headers: { host }, rejectUnauthorized: false },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
      },
    );
    request.once('error', reject);
    request.end();
  });
}

const maxAgeOf = (value: unknown): number => Number(/max-age=(\d+)/.exec(String(value))?.[1] ?? 0);

describe.each(backends)('transport security on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps;
  let plain: FastifyInstance;
  let secure: FastifyInstance;
  let server: RunningHttpsServer;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    await insertAccount(database.db, 'acme', { host_mapping: MAPPED });
    plain = await buildTestApp(deps);
    secure = await buildTestApp(deps, { config: { ...deps.config, publicUrl: 'https://localhost:8443' } });
    server = await startHttpsServer(
      { ...deps, config: { httpsPort: 0, host: '127.0.0.1', dataDir: database.dataDir, baseDomain: 'localhost' } },
      secure,
    );
  });
  afterAll(async () => {
    await server.close();
    await secure.close();
    await plain.close();
    await database.dispose();
  });

  it('sends HSTS over the HTTPS listener, with includeSubDomains on the vendor’s domains only', async () => {
    const subdomain = await httpsGet(server.port, 'acme.localhost', '/api/v2/users/me.json');
    expect(subdomain.status).toBe(401);
    expect(maxAgeOf(subdomain.headers['strict-transport-security'])).toBeGreaterThanOrEqual(ONE_YEAR);
    expect(subdomain.headers['strict-transport-security']).toContain('includeSubDomains');
    const base = await httpsGet(server.port, 'localhost', '/healthz');
    expect(base.headers['strict-transport-security']).toContain('includeSubDomains');
    const mapped = await httpsGet(server.port, MAPPED, '/healthz');
    expect(mapped.status).toBe(200);
    expect(maxAgeOf(mapped.headers['strict-transport-security'])).toBeGreaterThanOrEqual(ONE_YEAR);
    expect(mapped.headers['strict-transport-security']).not.toContain('includeSubDomains');
  });

  it('never sends HSTS over plain HTTP, and keeps serving it when the public URL is http://', async () => {
    for (const app of [plain, secure]) {
      const health = await app.inject({ url: '/healthz', headers: { host: 'acme.localhost' } });
      expect(health.statusCode).toBe(200);
      expect(health.headers['strict-transport-security']).toBeUndefined();
    }
    const api = await plain.inject({ url: '/api/v2/users/me.json', headers: { host: 'acme.localhost:3000' } });
    expect(api.statusCode).toBe(401);
    expect(api.headers.location).toBeUndefined();
  });

  it('redirects plain HTTP to HTTPS on the same host with 308 when the public URL is https://', async () => {
    for (const [host, location] of [
      ['acme.localhost:3000', 'https://acme.localhost:8443/api/v2/users/me.json?page=2'],
      ['localhost:3000', 'https://localhost:8443/api/v2/users/me.json?page=2'],
      [MAPPED, `https://${MAPPED}:8443/api/v2/users/me.json?page=2`],
    ] as const) {
      const response = await secure.inject({ url: '/api/v2/users/me.json?page=2', headers: { host } });
      expect(response.statusCode, host).toBe(308);
      expect(response.headers.location, host).toBe(location);
    }
    const readiness = await secure.inject({ url: '/readyz', headers: { host: 'localhost' } });
    expect(readiness.statusCode).toBe(200);
    // Over TLS the same app answers rather than redirecting.
    expect((await httpsGet(server.port, 'acme.localhost', '/api/v2/users/me.json')).status).toBe(401);
  });

  it('never echoes a Host that is none of Riposte’s into a Location', async () => {
    for (const host of ['evil.example', 'unmapped.acme.test', '203.0.113.9', 'a.b.localhost']) {
      const response = await secure.inject({ url: '/api/v2/users/me.json', headers: { host } });
      expect(response.statusCode, host).toBe(404);
      expect(response.headers.location, host).toBeUndefined();
    }
  });

  it('takes a trusted proxy’s X-Forwarded-Proto as the request’s scheme', async () => {
    const behindProxy = await buildTestApp(deps, { config: { ...deps.config, publicUrl: 'https://localhost', trustProxy: 1 } });
    try {
      const forwarded = await behindProxy.inject({
        url: '/api/v2/users/me.json',
        headers: { host: 'acme.localhost', 'x-forwarded-proto': 'https' },
      });
      expect(forwarded.statusCode).toBe(401);
      expect(forwarded.headers['strict-transport-security']).toContain('max-age=');
      const direct = await behindProxy.inject({ url: '/api/v2/users/me.json', headers: { host: 'acme.localhost' } });
      expect(direct.statusCode).toBe(308);
      expect(direct.headers.location).toBe('https://acme.localhost/api/v2/users/me.json');
    } finally {
      await behindProxy.close();
    }
  });
});
