import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, startServer, type RunningServer, type Runtime } from '../../src/main.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

/** Everything a socket receives until the server closes it. */
function untilClosed(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

const HALF_A_HEADER = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .once('error', reject);
  });
}

describe('the listeners startServer opens', () => {
  let dataDir: string;
  let runtime: Runtime;
  let server: RunningServer;
  let httpPort: number;
  let httpsPort: number;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-listeners-'));
    runtime = await openRuntime(
      {},
      {
        RIPOSTE_DATA_DIR: dataDir,
        PORT: '0',
        HTTPS_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        RIPOSTE_HEADERS_TIMEOUT_MS: '300',
        RIPOSTE_KEEP_ALIVE_TIMEOUT_MS: '300',
        RIPOSTE_METRICS_ADDRESS: '127.0.0.1:0',
      },
    );
    server = await startServer(runtime);
    httpPort = Number(new URL(server.url).port);
    httpsPort = Number(new URL(server.httpsUrl).port);
  });
  afterAll(async () => {
    await server.close();
    await runtime.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes an HTTP connection that never finishes its headers', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: httpPort }, () => socket.write(HALF_A_HEADER));
    const answer = await untilClosed(socket);
    expect(answer).not.toContain('200 OK');
  });

  it('closes an HTTPS connection that never finishes its headers', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost', rejectUnauthorized: false }, () =>
      socket.write(HALF_A_HEADER),
    );
    const answer = await untilClosed(socket);
    expect(answer).not.toContain('200 OK');
  });

  it('closes an idle keep-alive connection after its answer', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: httpPort }, () =>
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n'),
    );
    expect(await untilClosed(socket)).toContain('200 OK');
  });

  it('serves /metrics only on its own listener when RIPOSTE_METRICS_ADDRESS is set', async () => {
    expect(server.metricsUrl).toBeDefined();
    const scraped = await get(server.metricsUrl ?? '');
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('riposte_http_request_duration_seconds');
    expect((await get(server.metricsUrl?.replace('/metrics', '/healthz') ?? '')).status).toBe(404);
    expect((await get(`http://127.0.0.1:${httpPort}/metrics`, { host: 'localhost' })).status).toBe(404);
  });
});

describe('/metrics on the main listeners', () => {
  const TOKEN = 'a-metrics-token-of-some-length';
  let database: TestDatabase;
  let withoutToken: FastifyInstance;
  let withToken: FastifyInstance;

  beforeAll(async () => {
    database = await openTestDatabase('sqlite');
    const deps = testDeps(database);
    withoutToken = await buildTestApp(deps);
    withToken = await buildTestApp(deps, { config: { ...deps.config, metricsToken: TOKEN } });
  });
  afterAll(async () => {
    await withToken.close();
    await withoutToken.close();
    await database.dispose();
  });

  it('answers 404 with neither a token nor its own address', async () => {
    const response = await withoutToken.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('riposte_http_request_duration_seconds');
  });

  it('requires the bearer token when one is set', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, 'Bearer ', `Bearer ${TOKEN}x`]) {
      const response = await withToken.inject({ url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
      expect(response.statusCode, authorization).toBe(401);
      expect(response.body).not.toContain('riposte_http_request_duration_seconds');
    }
    const allowed = await withToken.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain('riposte_http_request_duration_seconds');
  });
});
