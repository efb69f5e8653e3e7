import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import type { Account } from '../../db/schema.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { decryptInstallationSecretConfidential } from './installation-secrets.js';
import { MAX_SETTING_LENGTH, SECURE_MASK } from './installation-settings.js';
import type { InstallationView } from './installations.schema.js';
import { IN_ORDER } from '../../../test/support/in-order.js';

const SLACK = 1001;

describe.each(backends)('app installations over HTTP on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let admin: TestSession;
  let agent: TestSession;
  let endUser: TestSession;
  let globexAdmin: TestSession;
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  });
  /** Every secure value sent in this suite: none may come back, reach a log or the audit trail. */
  const secrets: string[] = [];
  let counter = 0;
  const secret = (label: string): string => {
    counter += 1;
    const value = `${label}-${backend}-${counter}-s3cr3t-${'q'.repeat(8)}`;
    secrets.push(value);
    return value;
  };

  const expectNoSecret = (response: LightMyRequestResponse): void => {
    for (const value of secrets) expect(response.body).not.toContain(value);
  };
  const call = async (
    session: TestSession,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ): Promise<LightMyRequestResponse> => {
    const response = await app.inject({
      method,
      url,
      headers: session.headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    expectNoSecret(response);
    return response;
  };
  const install = async (settings: Record<string, unknown>, appId: number | string = SLACK): Promise<InstallationView> => {
    const response = await call(admin, 'POST', '/api/v2/apps/installations.json', { app_id: appId, settings });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ installation: InstallationView }>().installation;
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    deps = testDeps(database);
    app = await buildTestApp(deps, { config: { ...deps.config, logLevel: 'trace' }, logStream });
    admin = await signIn(deps, acme, await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' }));
    agent = await signIn(deps, acme, await insertUser(database.db, acme, 'agent@acme.test'));
    endUser = await signIn(deps, acme, await insertUser(database.db, acme, 'customer@acme.test', { role: 'end-user' }));
    globexAdmin = await signIn(deps, globex, await insertUser(database.db, globex, 'admin@globex.test', { role: 'admin' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('installs an app with its secure settings encrypted, masked in the answer, each with the time it was set', async () => {
    const token = secret('xoxb');
    const installation = await install({ channel: '#help', api_token: token, notify_on_new_ticket: true });
    expect(installation).toMatchObject({
      app_id: SLACK,
      product: 'support',
      enabled: true,
      settings: { name: 'Slack', title: 'Slack', channel: '#help', notify_on_new_ticket: true, api_token: SECURE_MASK },
      secure_settings: { api_token: { set: true, set_at: deps.clock.now().toISOString() } },
      created_at: deps.clock.now().toISOString(),
    });
    expect(installation.settings_objects).toContainEqual({ name: 'api_token', value: SECURE_MASK });
    expect(await decryptInstallationSecretConfidential(deps, acme.id, installation.id, 'api_token')).toBe(token);
    const stored = await database.db
      .selectFrom('installation_secrets')
      .selectAll()
      .where('installation_id', '=', installation.id)
      .execute();
    expect(stored.map((row) => row.field)).toEqual(['api_token']);
    expect(stored[0]?.sealed).not.toContain(token);
  });

  it('lets agents list and show installations, masked, and an API token read them', async () => {
    const installation = await install({ channel: '#agents', api_token: secret('xoxb') });
    const list = await call(agent, 'GET', '/api/v2/apps/installations.json');
    expect(list.statusCode).toBe(200);
    const listed = list.json<{ installations: InstallationView[]; count: number }>();
    expect(listed.installations.find((one) => one.id === installation.id)?.settings.api_token).toBe(SECURE_MASK);
    const shown = await call(agent, 'GET', `/api/v2/apps/installations/${installation.id}.json`);
    expect(shown.json<{ installation: InstallationView }>().installation.settings).toMatchObject({
      channel: '#agents',
      api_token: SECURE_MASK,
    });

    const created = await call(admin, 'POST', '/api/v2/api_tokens.json', { api_token: { description: 'apps test' } });
    const apiToken = created.json<{ api_token: { token: string } }>().api_token.token;
    const viaToken = await app.inject({
      url: '/api/v2/apps/installations.json?page[size]=1',
      headers: { host: hostOf(acme), authorization: apiTokenAuthorization('admin@acme.test', apiToken) },
    });
    expectNoSecret(viaToken);
    expect(viaToken.json<{ installations: unknown[]; meta: { has_more: boolean } }>()).toMatchObject({ meta: { has_more: true } });
  });

  it('rotates a secure setting when PUT gives a new value, and keeps it (and its date) otherwise', async () => {
    const first = secret('xoxb');
    const installation = await install({ channel: '#rotate', api_token: first });
    const setAt = installation.secure_settings.api_token?.set_at;
    deps.clock.advance(60_000);

    const plainOnly = await call(admin, 'PUT', `/api/v2/apps/installations/${installation.id}.json`, {
      settings: { channel: '#renamed' },
    });
    expect(plainOnly.statusCode, plainOnly.body).toBe(200);
    const masked = await call(admin, 'PUT', `/api/v2/apps/installations/${installation.id}.json`, {
      settings: plainOnly.json<{ installation: InstallationView }>().installation.settings,
    });
    expect(masked.json<{ installation: InstallationView }>().installation).toMatchObject({
      settings: { channel: '#renamed', api_token: SECURE_MASK },
      secure_settings: { api_token: { set_at: setAt } },
    });
    expect(await decryptInstallationSecretConfidential(deps, acme.id, installation.id, 'api_token')).toBe(first);

    deps.clock.advance(60_000);
    const second = secret('xoxb');
    const rotated = await call(admin, 'PUT', `/api/v2/apps/installations/${installation.id}.json`, {
      settings: { api_token: second, signing_secret: secret('signing') },
      enabled: false,
    });
    expect(rotated.json<{ installation: InstallationView }>().installation).toMatchObject({
      enabled: false,
      secure_settings: { api_token: { set_at: deps.clock.now().toISOString() }, signing_secret: { set: true } },
      updated_at: deps.clock.now().toISOString(),
    });
    expect(await decryptInstallationSecretConfidential(deps, acme.id, installation.id, 'api_token')).toBe(second);

    const cleared = await call(admin, 'PUT', `/api/v2/apps/installations/${installation.id}.json`, {
      settings: { signing_secret: null },
    });
    expect(Object.keys(cleared.json<{ installation: InstallationView }>().installation.secure_settings)).toEqual(['api_token']);
    const required = await call(admin, 'PUT', `/api/v2/apps/installations/${installation.id}.json`, { settings: { api_token: null } });
    expect(required.statusCode).toBe(422);
  });

  it('audits every change by setting name, never by value', async () => {
    const installation = await install({ channel: '#audit', api_token: secret('xoxb') });
    await call(admin, 'PUT', `/api/v2/apps/installations/${installation.id}.json`, { settings: { api_token: secret('xoxb') } });
    expect((await call(admin, 'DELETE', `/api/v2/apps/installations/${installation.id}.json`)).statusCode).toBe(204);
    const events = await database.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('account_id', '=', acme.id)
      .where('target_id', '=', String(installation.id))
      .orderBy('seq')
      .execute();
    expect(events.map((event) => event.action)).toEqual([
      'app_installation.created',
      'app_installation.updated',
      'app_installation.deleted',
    ]);
    expect(JSON.parse(events[1]?.data ?? '{}')).toMatchObject({ secure_settings_rotated: ['api_token'], settings_changed: [] });
    expect(JSON.parse(events[2]?.data ?? '{}')).toMatchObject({ secure_settings_removed: ['api_token'] });
    expect((await call(admin, 'GET', `/api/v2/apps/installations/${installation.id}.json`)).statusCode).toBe(404);
    expect(
      await database.db.selectFrom('installation_secrets').selectAll().where('installation_id', '=', installation.id).execute(),
    ).toEqual([]);
  });

  it('refuses bad settings with a 422 naming the field, never echoing a value', async () => {
    const cases: Array<{ settings: Record<string, unknown>; field: string }> = [
      { settings: { channel: '#x', api_token: 12345 }, field: 'settings.api_token' },
      { settings: { channel: '#x', api_token: true }, field: 'settings.api_token' },
      { settings: { channel: '#x', api_token: { value: secret('nested') } }, field: 'settings.api_token' },
      { settings: { channel: '#x', api_token: [secret('array-a'), secret('array-b')] }, field: 'settings.api_token' },
      { settings: { channel: '#x', api_token: secret('x').padEnd(MAX_SETTING_LENGTH + 1, 'x') }, field: 'settings.api_token' },
      { settings: { channel: '#x', api_token: secret('ok'), webhook: secret('unknown') }, field: 'settings.webhook' },
      { settings: { channel: 42, api_token: secret('ok') }, field: 'settings.channel' },
      { settings: { channel: '#x', api_token: secret('ok'), title: 'Evil' }, field: 'settings.title' },
    ];
    for (const { settings, field } of cases) {
      const response = await call(admin, 'POST', '/api/v2/apps/installations.json', { app_id: SLACK, settings });
      expect(response.statusCode, field).toBe(422);
      expect(response.json<{ error: string; details: Record<string, unknown> }>()).toMatchObject({
        error: 'RecordInvalid',
        details: { [field]: expect.any(Array) },
      });
    }
    const update = await install({ channel: '#valid', api_token: secret('xoxb') });
    const badUpdate = await call(admin, 'PUT', `/api/v2/apps/installations/${update.id}.json`, {
      settings: { api_token: secret('rotation'), channel: false },
    });
    expect(badUpdate.statusCode).toBe(422);
    expect(
      (await call(admin, 'GET', `/api/v2/apps/installations/${update.id}.json`)).json<{ installation: InstallationView }>().installation,
    ).toMatchObject({ secure_settings: { api_token: { set_at: update.secure_settings.api_token?.set_at } } });
  });

  it('refuses unknown apps, too many settings, oversized bodies and prototype-polluting keys', async () => {
    for (const appId of [999, '424242', 100_000_123]) {
      const response = await call(admin, 'POST', '/api/v2/apps/installations.json', {
        app_id: appId,
        settings: { api_token: secret('x') },
      });
      expect(response.statusCode).toBe(422);
      expect(response.json<{ details: Record<string, unknown> }>().details).toHaveProperty('app_id');
    }
    for (const appId of ['12abc', -5, 0, '1e400', null, { id: SLACK }]) {
      const response = await call(admin, 'POST', '/api/v2/apps/installations.json', { app_id: appId, settings: {} });
      expect(response.statusCode, JSON.stringify(appId)).toBe(400);
    }

    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'v']));
    expect((await call(admin, 'POST', '/api/v2/apps/installations.json', { app_id: SLACK, settings: many })).statusCode).toBe(400);

    const huge = secret('huge').padEnd(2 * 1024 * 1024, 'h');
    const tooLarge = await call(admin, 'POST', '/api/v2/apps/installations.json', { app_id: SLACK, settings: { api_token: huge } });
    expect(tooLarge.statusCode).toBe(413);

    for (const body of [
      `{"app_id":${SLACK},"settings":{"channel":"#x","api_token":"${secret('proto')}","__proto__":{"polluted":true}}}`,
      `{"app_id":${SLACK},"settings":{"channel":"#x","api_token":"${secret('ctor')}","constructor":{"prototype":{"polluted":true}}}}`,
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v2/apps/installations.json',
        headers: { ...admin.headers, 'content-type': 'application/json' },
        payload: body,
      });
      expectNoSecret(response);
      expect(response.statusCode).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stores SQL-looking text as text', async () => {
    const sqlish = `'); drop table app_installations; -- " or 1=1`;
    const installation = await install({
      channel: sqlish,
      name: `Robert'); DROP TABLE installation_secrets;--`,
      api_token: secret('sql'),
    });
    const shown = await call(agent, 'GET', `/api/v2/apps/installations/${installation.id}.json`);
    expect(shown.json<{ installation: InstallationView }>().installation.settings).toMatchObject({
      channel: sqlish,
      name: `Robert'); DROP TABLE installation_secrets;--`,
    });
    expect(await database.db.selectFrom('installation_secrets').select('field').limit(1).execute()).toHaveLength(1);
  });

  it('lets admins create private apps whose secure fields are encrypted like the marketplace ones', async () => {
    const fields = [
      { name: 'endpoint', type: 'url', required: true },
      { name: 'client_secret', secure: true, required: true },
    ];
    expect((await call(agent, 'POST', '/api/v2/apps.json', { name: 'Billing bridge', product: 'support', fields })).statusCode).toBe(403);
    const created = await call(admin, 'POST', '/api/v2/apps.json', { name: 'Billing bridge', product: 'support', fields });
    expect(created.statusCode, created.body).toBe(201);
    const privateApp = created.json<{ app: { id: number; marketplace: boolean } }>().app;
    expect(privateApp.marketplace).toBe(false);
    expect((await call(admin, 'POST', '/api/v2/apps.json', { name: 'Billing bridge', product: 'support', fields })).statusCode).toBe(422);
    expect((await call(admin, 'POST', '/api/v2/apps.json', { name: 'Slack', product: 'support', fields })).statusCode).toBe(422);
    const reserved = await call(admin, 'POST', '/api/v2/apps.json', { name: 'Bad', product: 'support', fields: [{ name: 'name' }] });
    expect(reserved.statusCode).toBe(422);

    const apps = await call(agent, 'GET', '/api/v2/apps.json');
    expect(apps.json<{ apps: Array<{ id: number }> }>().apps.map((one) => one.id)).toContain(privateApp.id);
    const clientSecret = secret('client');
    const installation = await install({ endpoint: 'https://billing.example/api', client_secret: clientSecret }, privateApp.id);
    expect(installation.settings).toMatchObject({ name: 'Billing bridge', client_secret: SECURE_MASK });
    expect(await decryptInstallationSecretConfidential(deps, acme.id, installation.id, 'client_secret')).toBe(clientSecret);

    // Another account cannot see or install it.
    const theirs = await call(globexAdmin, 'GET', '/api/v2/apps.json');
    expect(theirs.json<{ apps: Array<{ id: number }> }>().apps.map((one) => one.id)).not.toContain(privateApp.id);
    const stolen = await call(globexAdmin, 'POST', '/api/v2/apps/installations.json', {
      app_id: privateApp.id,
      settings: { endpoint: 'https://evil.example', client_secret: secret('evil') },
    });
    expect(stolen.statusCode).toBe(422);
  });

  it('answers 404 to another account on every route, and refuses writes to agents and end users', async () => {
    const token = secret('xoxb');
    const installation = await install({ channel: '#tenant', api_token: token });
    const url = `/api/v2/apps/installations/${installation.id}.json`;
    expect((await call(globexAdmin, 'GET', url)).statusCode).toBe(404);
    expect((await call(globexAdmin, 'PUT', url, { settings: { api_token: secret('overwrite') } })).statusCode).toBe(404);
    expect((await call(globexAdmin, 'DELETE', url)).statusCode).toBe(404);
    const theirList = await call(globexAdmin, 'GET', '/api/v2/apps/installations.json');
    expect(theirList.json<{ installations: InstallationView[] }>().installations).toEqual([]);
    // A session of one account on the other's host is no session there.
    const crossHost = await app.inject({ url, headers: { ...admin.headers, host: hostOf(globex) } });
    expect(crossHost.statusCode).toBe(401);

    for (const session of [agent, endUser]) {
      expect((await call(session, 'POST', '/api/v2/apps/installations.json', { app_id: SLACK, settings: {} })).statusCode).toBe(403);
      expect((await call(session, 'PUT', url, { settings: { api_token: secret('agent') } })).statusCode).toBe(403);
      expect((await call(session, 'DELETE', url)).statusCode).toBe(403);
    }
    expect((await call(endUser, 'GET', '/api/v2/apps/installations.json')).statusCode).toBe(403);
    expect((await call(endUser, 'GET', url)).statusCode).toBe(403);
    expect(await decryptInstallationSecretConfidential(deps, acme.id, installation.id, 'api_token')).toBe(token);
  });

  it('never lets a secure value reach a log line, the audit trail or the plain columns', async () => {
    expect(logLines.length).toBeGreaterThan(50);
    const everything = logLines.join('\n');
    for (const value of secrets) expect(everything).not.toContain(value);
    const audit = await database.db.selectFrom('audit_events').select('data').execute();
    const installations = await database.db.selectFrom('app_installations').select('settings').execute();
    const stored = JSON.stringify([audit, installations]);
    for (const value of secrets) expect(stored).not.toContain(value);
  });
});
