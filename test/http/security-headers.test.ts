import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../support/app.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';

describe('default security headers', () => {
  let database: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openTestDatabase('sqlite');
    await insertAccount(database.db, 'acme');
    app = await buildTestApp(testDeps(database));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('marks every API answer, success or error, as data that is never framed, sniffed or cached', async () => {
    for (const [url, status] of [
      ['/api/v2/users/me.json', 401],
      ['/api/v2/nowhere', 404],
      ['/healthz', 200],
    ] as const) {
      const response = await app.inject({ url, headers: { host: 'acme.localhost' } });
      expect(response.statusCode, url).toBe(status);
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['x-frame-options'], url).toBe('DENY');
      expect(response.headers['referrer-policy'], url).toBe('no-referrer');
      expect(response.headers['cache-control'], url).toBe('no-store');
      expect(response.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
      expect(response.headers['content-type'], url).toMatch(/charset=utf-8/i);
      expect(response.headers['server'], url).toBeUndefined();
      expect(response.headers['x-powered-by'], url).toBeUndefined();
    }
  });

  it('keeps the headers a route chose for itself', async () => {
    const consolePage = await app.inject({ url: '/access/sign_in', headers: { host: 'acme.localhost' } });
    expect(consolePage.headers['content-type']).toMatch(/^text\/html/);
    expect(consolePage.headers['cache-control']).toBe('no-cache');
    expect(consolePage.headers['referrer-policy']).toBe('same-origin');
    expect(consolePage.headers['content-security-policy']).toContain("default-src 'self'");
  });
});
