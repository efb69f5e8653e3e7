import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import { findNul } from './nul-refusal.js';

describe('findNul', () => {
  it('names the field of the first NUL in strings, keys, arrays and nested objects', () => {
    expect(findNul('body', { user: { name: 'Ada', tags: ['a', 'b\u0000'] } })).toBe('body.user.tags.1');
    // fast-querystring's objects inherit from a prototype-less object, neither Object's prototype nor null.
    const query = Object.assign(Object.create(Object.create(null) as object) as object, { 'filter[action]': '\u0000' });
    expect(findNul('query', query)).toBe('query.filter[action]');
    expect(findNul('body', Buffer.from([0]))).toBeUndefined();
    expect(findNul('body', { 'a\u0000': 1 })).toBe('body."a\\u0000"');
    expect(findNul('body', { name: 'Ada\r\n\u001b', count: 0, none: null })).toBeUndefined();
  });

  it('walks a body nested far deeper than the stack would allow', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}"\\u0000"${'}'.repeat(100_000)}`) as unknown;
    expect(findNul('body', deep)).toMatch(/^body(\.a)+$/);
  });
});

describe.each(backends)('NUL characters in a request on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let session: TestSession;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const deps = testDeps(database);
    app = await buildTestApp(deps);
    const account = await insertAccount(database.db, 'acme');
    session = await signIn(deps, account, await insertUser(database.db, account, 'ada@acme.test', { role: 'admin' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('refuses a NUL in a body field with a 400 naming the field, and stores nothing', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens',
      headers: session.headers,
      payload: { api_token: { description: 'ci\u0000token' } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'InvalidParameters',
      details: { 'api_token.description': ['must not contain NUL characters'] },
    });
    expect(await database.db.selectFrom('api_tokens').select('id').execute()).toEqual([]);
  });

  it('refuses a NUL in a query parameter, on a JSON list and a CSV export alike', async () => {
    for (const url of ['/api/v2/audit_logs?filter[action]=%00', '/api/v2/audit_logs/export.csv?filter[source_type]=a%00b']) {
      const response = await app.inject({ url, headers: session.headers });
      expect(response.statusCode, url).toBe(400);
      expect(response.json<{ error: string }>().error).toBe('InvalidParameters');
    }
  });

  it('refuses a NUL in a sign-in email before it reaches the throttle or the users', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/access/sign_in',
      headers: { host: 'acme.localhost' },
      payload: { email: 'ada@acme.test\u0000', password: 'whatever-it-is' },
    });
    expect(response.statusCode).toBe(400);
  });
});
