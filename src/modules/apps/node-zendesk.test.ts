import type { FastifyInstance } from 'fastify';
import { createClient } from 'node-zendesk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser, signIn } from '../../../test/support/identity-fixtures.js';
import { freePort, localhostTransport } from '../../../test/support/zendesk-client.js';
import type { Account, User } from '../../db/schema.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import type { Principal } from '../accounts/principal.js';
import { appsRoutes } from './apps.routes.js';
import { SECURE_MASK } from './installation-settings.js';
import { createInstallation } from './installations.service.js';

const principalOf = (account: Account, user: User): Principal => ({
  account,
  user,
  via: 'session',
  scopes: new Set(['read', 'write']),
  credentialId: null,
});

/** The real Zendesk client from npm reads installations from a listening Riposte with an API token. */
describe.each(backends)('node-zendesk installations against Riposte on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps;
  let app: FastifyInstance;
  let token: string;
  let endpointUri: string;
  const INSTALLATIONS = 105;
  const secretOf = (i: number): string => `xoxb-${backend}-${i}-never-shown`;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    const port = await freePort();
    // Links are built from the public URL: here the accounts answer at http://{subdomain}.localhost:{port}.
    const config = { ...deps.config, publicUrl: `http://localhost:${port}` };
    app = await buildTestApp(deps, { config });
    if (!app.hasRoute({ method: 'GET', url: '/api/v2/apps/installations' })) {
      await app.close();
      app = await buildTestApp(deps, { config, routes: [appsRoutes(deps)] });
    }
    await app.listen({ port, host: '127.0.0.1' });
    endpointUri = `http://acme.localhost:${port}/api/v2`;
    const acme = await insertAccount(database.db, 'acme');
    const globex = await insertAccount(database.db, 'globex');
    const admin = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' });
    const outsider = await insertUser(database.db, globex, 'admin@globex.test', { role: 'admin' });
    // More than one page (100), so the client follows next_page.
    for (let i = 0; i < INSTALLATIONS; i++) {
      await createInstallation(deps, principalOf(acme, admin), {
        appId: 1001,
        settings: { channel: `#team-${i}`, api_token: secretOf(i) },
        enabled: true,
      });
    }
    await createInstallation(deps, principalOf(globex, outsider), {
      appId: 1001,
      settings: { channel: '#globex-only', api_token: 'xoxb-globex' },
      enabled: true,
    });
    const session = await signIn(deps, acme, admin);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: session.headers,
      payload: { api_token: { description: 'node-zendesk' } },
    });
    token = created.json<{ api_token: { token: string } }>().api_token.token;
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('lists every installation of the account across pages, secure settings masked', async () => {
    const client = createClient({ username: 'ada@acme.test', token, endpointUri, transportConfig: localhostTransport });
    const installations = (await client.installations.list()) as Array<{
      id: number;
      app_id: number;
      product: string;
      enabled: boolean;
      settings: Record<string, unknown>;
      created_at: string;
    }>;
    expect(installations).toHaveLength(INSTALLATIONS);
    expect(new Set(installations.map((one) => one.id)).size).toBe(INSTALLATIONS);
    expect(installations[0]).toMatchObject({ app_id: 1001, product: 'support', enabled: true, settings: { api_token: SECURE_MASK } });
    const everything = JSON.stringify(installations);
    expect(everything).not.toContain('#globex-only');
    expect(everything).not.toContain('xoxb-');

    const { result } = (await client.installations.show(installations[0]?.id ?? 0)) as { result: { settings: Record<string, unknown> } };
    expect(result.settings).toMatchObject({ channel: '#team-0', api_token: SECURE_MASK });
  });
});
