import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { requireHostAccount } from '../../src/modules/accounts/tenancy.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';

const METRICS_TOKEN = 'metrics-token-for-the-test';

describe.each(backends)('HTTP foundation on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    await insertAccount(database.db, 'acme', { host_mapping: 'help.acme.test' });
    await insertAccount(database.db, 'globex');
    const deps = testDeps(database);
    app = await buildTestApp(deps, {
      config: { ...deps.config, bodyLimitBytes: 1024, logLevel: 'info', metricsToken: METRICS_TOKEN },
      logStream,
      routes: [
        (probe, _options, done) => {
          probe.get('/probe/account', { schema: { hide: true } }, (request) => ({ subdomain: requireHostAccount(request).subdomain }));
          probe.post(
            '/probe/echo',
            {
              schema: {
                hide: true,
                body: {
                  type: 'object',
                  required: ['name'],
                  properties: { name: { type: 'string', minLength: 2 } },
                  additionalProperties: false,
                },
              },
            },
            (request) => ({ body: request.body }),
          );
          probe.get('/probe/crash', { schema: { hide: true } }, () => {
            throw new Error('database password is hunter2');
          });
          probe.get('/probe/refuse', { schema: { hide: true } }, () => {
            throw new AppError('PasswordChangeRequired', 'Change your password first.');
          });
          done();
        },
      ],
    });
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: 'ok' });
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    await app.inject({ url: '/healthz' });
    const metrics = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('riposte_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}');
    const docs = await app.inject({ url: '/docs/json' });
    expect(docs.json()).toMatchObject({
      openapi: expect.any(String),
      paths: { '/healthz': expect.any(Object), '/readyz': expect.any(Object) },
    });
    expect((await app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it("lists each route's error codes from the catalogue, with what to do", async () => {
    const paths = (await app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>;
    }>().paths;
    const showUser = paths['/api/v2/users/{id}']?.get?.responses;
    expect(showUser?.['404']?.description).toContain('`RecordNotFound`: Check the id and the account you are addressing.');
    expect(showUser?.['401']?.description).toContain('`Unauthorized`');
    expect(showUser?.['401']?.description).not.toContain('`RecordNotFound`');
  });

  it('answers unknown paths with a JSON 404 in the Zendesk shape', async () => {
    const response = await app.inject({ url: '/api/v2/nothing.json' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'InvalidEndpoint', description: expect.stringContaining('/api/v2/nothing.json') });
  });

  it('names the invalid field, refuses oversized and malformed bodies', async () => {
    const invalid = await app.inject({ method: 'POST', url: '/probe/echo', payload: { name: 'x' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ error: 'InvalidParameters', details: { name: [expect.stringContaining('2 characters')] } });
    const tooLarge = await app.inject({ method: 'POST', url: '/probe/echo', payload: { name: 'x'.repeat(2000) } });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ error: 'PayloadTooLarge' });
    const malformed = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'InvalidJSON' });
    const notJson = await app.inject({ method: 'POST', url: '/probe/echo', headers: { 'content-type': 'text/xml' }, payload: '<name/>' });
    expect(notJson.statusCode).toBe(415);
    expect(notJson.json()).toMatchObject({ error: 'UnsupportedMediaType' });
  });

  it('maps AppError to its status and hides 5xx internals', async () => {
    const refused = await app.inject({ url: '/probe/refuse' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ error: 'PasswordChangeRequired', description: 'Change your password first.' });
    const crash = await app.inject({ url: '/probe/crash', headers: { 'x-request-id': 'req-crash-0001' } });
    expect(crash.statusCode).toBe(500);
    expect(crash.headers['x-request-id']).toBe('req-crash-0001');
    expect(crash.body).not.toContain('hunter2');
    expect(crash.json()).toMatchObject({ error: 'InternalError', description: expect.stringContaining('req-crash-0001') });
  });

  it('gives each request an id and keeps credentials out of the logs', async () => {
    const response = await app.inject({
      url: '/healthz?access_token=tok-secret-1',
      headers: { authorization: 'Basic c2VjcmV0OnNlY3JldA==', cookie: 'riposte_session=sess-secret-2' },
    });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await app.inject({ method: 'POST', url: '/probe/echo', payload: { name: 'x', password: 'pw-secret-3' } });
    const logs = logLines.join('\n');
    for (const secret of ['tok-secret-1', 'c2VjcmV0OnNlY3JldA', 'sess-secret-2', 'pw-secret-3']) expect(logs).not.toContain(secret);
  });

  it('logs one line per answered request, carrying its request id, and none for a route logged at warn', async () => {
    const before = logLines.length;
    await app.inject({ url: '/probe/account', headers: { host: 'acme.localhost', 'x-request-id': 'req-line-0001' } });
    await app.inject({ url: '/probe/crash', headers: { 'x-request-id': 'req-line-0002' } });
    await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}`, 'x-request-id': 'req-line-0003' } });
    const lines = logLines.slice(before).map((line) => JSON.parse(line) as { reqId?: string; msg: string; res?: { statusCode: number } });
    expect(lines.filter((line) => line.reqId === 'req-line-0001')).toEqual([
      expect.objectContaining({ msg: 'request completed', res: { statusCode: 200 } }),
    ]);
    expect(lines.filter((line) => line.reqId === 'req-line-0002').map((line) => line.msg)).toEqual(['request failed', 'request completed']);
    expect(lines.filter((line) => line.reqId === 'req-line-0003')).toEqual([]);
  });

  it('resolves the account from the Host header', async () => {
    const read = async (host: string) =>
      (await app.inject({ url: '/probe/account', headers: { host } })).json<{ subdomain?: string; error?: string }>();
    expect(await read('acme.localhost:3000')).toEqual({ subdomain: 'acme' });
    expect(await read('GLOBEX.localhost')).toEqual({ subdomain: 'globex' });
    expect(await read('help.acme.test')).toEqual({ subdomain: 'acme' });
    expect(await read('nobody.localhost')).toMatchObject({ error: 'AccountNotFound' });
    expect(await read('127.0.0.1:3000')).toMatchObject({ error: 'AccountNotFound' });
    expect(await read('acme.globex.localhost')).toMatchObject({ error: 'AccountNotFound' });
    expect(await read('help.unknown.test')).toMatchObject({ error: 'AccountNotFound' });
  });
});
