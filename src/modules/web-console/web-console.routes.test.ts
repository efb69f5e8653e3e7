import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import { installErrorHandler } from '../../platform/http/error-handler.js';
import { ACCOUNT_PAGES, CONTENT_SECURITY_POLICY, webConsoleRoutes } from './web-console.routes.js';

describe('the web console’s files and pages', () => {
  let webRoot: string;
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;

  beforeAll(async () => {
    webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-web-'));
    fs.mkdirSync(path.join(webRoot, 'assets'));
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>');
    fs.writeFileSync(path.join(webRoot, 'assets', 'app-1a2b.js'), 'console.log("console")');
    app = Fastify();
    installErrorHandler(app);
    await app.register(webConsoleRoutes({ webRoot }));
    unbuilt = Fastify();
    installErrorHandler(unbuilt);
    await unbuilt.register(webConsoleRoutes({ webRoot: path.join(webRoot, 'missing') }));
  });
  afterAll(async () => {
    await app.close();
    await unbuilt.close();
    fs.rmSync(webRoot, { recursive: true, force: true });
  });

  it('serves the one HTML document on every page of the console, with a strict content security policy', async () => {
    for (const url of [
      ...ACCOUNT_PAGES,
      '/ops/console',
      '/ops/console/',
      '/ops/console/incidents/1/scope',
      '/access/password_reset?token=abc',
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.body).toContain('/assets/app-1a2b.js');
    }
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'self'; /);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it('serves a rebuilt console’s new HTML without a restart', async () => {
    const index = path.join(webRoot, 'index.html');
    const before = fs.readFileSync(index, 'utf8');
    fs.writeFileSync(index, before.replace('app-1a2b.js', 'app-3c4d.js'));
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(index, later, later);
    expect((await app.inject({ url: '/security' })).body).toContain('/assets/app-3c4d.js');
    fs.writeFileSync(index, before);
    fs.utimesSync(index, new Date(), new Date());
    expect((await app.inject({ url: '/security' })).body).toContain('/assets/app-1a2b.js');
  });

  it('serves hashed assets for good, and nothing outside them', async () => {
    const asset = await app.inject({ url: '/assets/app-1a2b.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/assets/../index.html' })).statusCode).not.toBe(200);
    expect((await app.inject({ url: '/assets/%2e%2e/index.html' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/index.html' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/security' })).statusCode).toBe(404);
  });

  it('says how to build the console when it is not built', async () => {
    const response = await unbuilt.inject({ url: '/ops/console/' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build');
  });
});

describe.each(backends)('the sign-in page’s options on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let admin: TestSession;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const deps = testDeps(database);
    app = await buildTestApp(deps);
    const acme = await insertAccount(database.db, 'acme', { name: 'Acme Outfitters', locale: 'fr' });
    await insertAccount(database.db, 'globex', { name: 'Globex' });
    admin = await signIn(deps, acme, await insertUser(database.db, acme, 'root@acme.test', { role: 'admin' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('names the account, its language and its password policy to anyone on its host, and nothing of another', async () => {
    const response = await app.inject({ url: '/access/sign_in_options', headers: { host: 'acme.localhost:3000' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      account: { name: 'Acme Outfitters', subdomain: 'acme', locale: 'fr' },
      sso: { enabled: false, method: null, url: '/access/sso' },
      password_policy: { min_length: 12, max_length: 128, history_size: 5, email_local_part_min_length: 3 },
    });
    const other = await app.inject({ url: '/access/sign_in_options', headers: { host: 'globex.localhost' } });
    expect(other.json()).toMatchObject({ account: { name: 'Globex', subdomain: 'globex' } });
    const nobody = await app.inject({ url: '/access/sign_in_options', headers: { host: '127.0.0.1:3000' } });
    expect(nobody.statusCode).toBe(404);
    expect(nobody.json()).toMatchObject({ error: 'AccountNotFound' });
  });

  it('offers the SSO button once the account signs in through its identity provider', async () => {
    const configured = await app.inject({
      method: 'PUT',
      url: '/api/v2/account/sso',
      headers: admin.headers,
      payload: { sso: { jwt: { enabled: true, shared_secret: 'a'.repeat(40), remote_login_url: 'https://idp.acme.test/login' } } },
    });
    expect(configured.statusCode).toBe(200);
    const response = await app.inject({ url: '/access/sign_in_options', headers: { host: 'acme.localhost' } });
    expect(response.json()).toMatchObject({ sso: { enabled: true, method: 'jwt', url: '/access/sso' } });
    expect(JSON.stringify(response.json())).not.toContain('aaaa');
    const globex = await app.inject({ url: '/access/sign_in_options', headers: { host: 'globex.localhost' } });
    expect(globex.json()).toMatchObject({ sso: { enabled: false } });
  });
});
