import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { IDENTITY_CHANGE_BOUND_MS } from '../../src/db/identity-changes.js';
import type { Account, User } from '../../src/db/schema.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two processes over one database, as two applications over two database
 * handles: what one changes about who may authenticate, the other honours
 * within the bound the README states, although it answers verified API
 * tokens from memory.
 */
describe.each(backends)('identity changes across processes on %s', (backend) => {
  let database: TestDatabase;
  let secondHandle: DatabaseHandle;
  let first: FastifyInstance;
  let second: FastifyInstance;
  let acme: Account;
  let admin: User;
  let agent: User;
  let adminSession: TestSession;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    secondHandle = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, poolSize: 2 });
    const firstDeps = testDeps(database);
    first = await buildTestApp(firstDeps);
    second = await buildTestApp({ ...testDeps(database), db: secondHandle.db });
    acme = await insertAccount(database.db, 'acme');
    admin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    agent = await insertUser(database.db, acme, 'agent@acme.test');
    adminSession = await signIn(firstDeps, acme, admin);
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    await secondHandle.close();
    await database.dispose();
  });

  const createToken = async (): Promise<{ id: number; token: string }> => {
    const response = await first.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: adminSession.headers,
      payload: { api_token: { description: 'integration' } },
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ api_token: { id: number; token: string } }>().api_token;
  };
  const me = (app: FastifyInstance, email: string, token: string) =>
    app.inject({ url: '/api/v2/users/me.json', headers: { host: hostOf(acme), authorization: apiTokenAuthorization(email, token) } });

  it('refuses a token revoked through one process on the other within the bound', async () => {
    const { id, token } = await createToken();
    expect((await me(second, agent.email, token)).statusCode).toBe(200);
    expect((await me(second, agent.email, token)).statusCode).toBe(200);
    const revoked = await first.inject({ method: 'DELETE', url: `/api/v2/api_tokens/${id}.json`, headers: adminSession.headers });
    expect(revoked.statusCode).toBe(204);
    // The process that revoked refuses at once.
    expect((await me(first, agent.email, token)).statusCode).toBe(401);
    await pause(IDENTITY_CHANGE_BOUND_MS);
    expect((await me(second, agent.email, token)).statusCode).toBe(401);
  });

  it('refuses a user suspended through one process on the other within the bound, and takes them back as fast', async () => {
    const { token } = await createToken();
    expect((await me(second, agent.email, token)).statusCode).toBe(200);
    const suspend = (active: boolean) =>
      first.inject({ method: 'PUT', url: `/api/v2/users/${agent.id}.json`, headers: adminSession.headers, payload: { user: { active } } });
    expect((await suspend(false)).statusCode).toBe(200);
    expect((await me(first, agent.email, token)).statusCode).toBe(401);
    await pause(IDENTITY_CHANGE_BOUND_MS);
    expect((await me(second, agent.email, token)).statusCode).toBe(401);
    expect((await suspend(true)).statusCode).toBe(200);
    await pause(IDENTITY_CHANGE_BOUND_MS);
    expect((await me(second, agent.email, token)).statusCode).toBe(200);
  });

  it('follows a user deleted or renamed through one process on the other within the bound', async () => {
    const { token } = await createToken();
    const renamed = await first.inject({
      method: 'PUT',
      url: `/api/v2/users/${admin.id}.json`,
      headers: adminSession.headers,
      payload: { user: { name: 'Ada Renamed' } },
    });
    expect(renamed.statusCode).toBe(200);
    expect((await me(second, admin.email, token)).json<{ user: { name: string } }>().user.name).toBe('Ada Renamed');
    const extra = await insertUser(database.db, acme, 'leaving@acme.test');
    expect((await me(second, extra.email, token)).statusCode).toBe(200);
    const deleted = await first.inject({ method: 'DELETE', url: `/api/v2/users/${extra.id}.json`, headers: adminSession.headers });
    expect(deleted.statusCode).toBe(200);
    await pause(IDENTITY_CHANGE_BOUND_MS);
    expect((await me(second, extra.email, token)).statusCode).toBe(401);
  });
});
