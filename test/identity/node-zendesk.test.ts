import type { FastifyInstance } from 'fastify';
import { createClient } from 'node-zendesk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { insertUser, signIn } from '../support/identity-fixtures.js';
import { freePort, localhostTransport } from '../support/zendesk-client.js';

/** The real Zendesk client from npm, against a listening Riposte. */
describe.each(backends)('node-zendesk against Riposte on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let acme: Account;
  let admin: User;
  let token: string;
  let endpointUri: string;
  const END_USERS = 230;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const deps = testDeps(database);
    const port = await freePort();
    // Links are built from the public URL: here the accounts answer at http://{subdomain}.localhost:{port}.
    app = await buildTestApp(deps, { config: { ...deps.config, publicUrl: `http://localhost:${port}` } });
    await app.listen({ port, host: '127.0.0.1' });
    endpointUri = `http://acme.localhost:${port}/api/v2`;
    acme = await insertAccount(database.db, 'acme');
    const globex = await insertAccount(database.db, 'globex');
    admin = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' });
    for (let i = 0; i < END_USERS; i++) await insertUser(database.db, acme, `customer${i}@example.test`, { role: 'end-user' });
    await insertUser(database.db, globex, 'outsider@globex.test');
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

  it('lists every user of the account across several pages with an API token', async () => {
    const client = createClient({ username: 'ada@acme.test', token, endpointUri, transportConfig: localhostTransport });
    const users = (await client.users.list()) as Array<{ id: number; email: string }>;
    expect(users).toHaveLength(END_USERS + 1);
    expect(new Set(users.map((user) => user.id)).size).toBe(END_USERS + 1);
    expect(users.some((user) => user.email === 'outsider@globex.test')).toBe(false);
  });

  it('reads users.me', async () => {
    const client = createClient({ username: 'ada@acme.test', token, endpointUri, transportConfig: localhostTransport });
    const { result } = (await client.users.me()) as { result: { id: number; email: string; role: string } };
    expect(result).toMatchObject({ id: admin.id, email: 'ada@acme.test', role: 'admin' });
  });
});
