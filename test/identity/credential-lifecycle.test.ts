/**
 * Credentials and sessions end together: a new password, by whichever path,
 * spends every outstanding reset link and forced-change step of the user and
 * ends their sessions (all but the current one on a self-service change).
 * A read-only credential writes nothing. Creating a user is atomic.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { hashSecretToken, issueSecretToken } from '../../src/modules/auth/secret-tokens.js';
import { reserveIds } from '../../src/db/sequences.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertPasswordCredential, insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';

const PASSWORD = 'Saffron-Glacier-Pocket-24';
const NEW_PASSWORD = 'Tundra-Violin-Harvest-93';
const OTHER_PASSWORD = 'Meadow-Cipher-Anchor-51';

describe.each(backends)('credential lifecycle on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let acme: Account;
  let ada: TestSession;
  let userSeq = 0;

  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { host: hostOf(acme), ...headers }, payload });
  const me = (session: TestSession) =>
    app.inject({ url: '/api/v2/users/me.json', headers: { host: hostOf(acme), cookie: session.cookie } });

  async function userWithPassword(mustChange = false): Promise<User> {
    userSeq += 1;
    const user = await insertUser(database.db, acme, `user${userSeq}@acme.test`);
    await insertPasswordCredential(database.db, user, { password_hash: await hashPassword(PASSWORD), must_change: mustChange ? 1 : 0 });
    return user;
  }

  /** An unused reset link or change step of the user, as the sign-in flow stores it; returns its token. */
  async function outstandingStep(user: User, purpose: 'reset' | 'forced_change'): Promise<string> {
    const issued = issueSecretToken();
    const now = deps.clock.now();
    await database.db
      .insertInto('password_change_steps')
      .values({
        account_id: acme.id,
        id: await reserveIds(database.db, 'password_change_steps', 1),
        user_id: user.id,
        purpose,
        token_hash: hashSecretToken(issued.raw),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
        used_at: null,
      })
      .execute();
    return issued.raw;
  }

  const useReset = (token: string) => post('/access/password_reset/complete', { token, password: OTHER_PASSWORD });
  const useChangeStep = (token: string) => post('/access/password_change', { change_token: token, password: OTHER_PASSWORD });
  const expectStatus = (response: LightMyRequestResponse, status: number, what: string) =>
    expect(response.statusCode, `${what}: ${response.body}`).toBe(status);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    acme = await insertAccount(database.db, 'acme');
    ada = await signIn(deps, acme, await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('a self-service change keeps the current session, ends the others and spends every reset link and change step', async () => {
    const cleo = await userWithPassword();
    const current = await signIn(deps, acme, cleo);
    const other = await signIn(deps, acme, cleo);
    const reset = await outstandingStep(cleo, 'reset');
    const step = await outstandingStep(cleo, 'forced_change');
    const changed = await app.inject({
      method: 'PUT',
      url: `/api/v2/users/${cleo.id}/password.json`,
      headers: current.headers,
      payload: { previous_password: PASSWORD, password: NEW_PASSWORD },
    });
    expectStatus(changed, 200, 'change');
    expectStatus(await me(current), 200, 'current session');
    expectStatus(await me(other), 401, 'other session');
    expectStatus(await useReset(reset), 401, 'reset link');
    expectStatus(await useChangeStep(step), 401, 'change step');
  });

  it("an admin-set password ends all the user's sessions and spends their reset links", async () => {
    const dan = await userWithPassword();
    const session = await signIn(deps, acme, dan);
    const reset = await outstandingStep(dan, 'reset');
    const set = await app.inject({
      method: 'POST',
      url: `/api/v2/users/${dan.id}/password.json`,
      headers: ada.headers,
      payload: { password: NEW_PASSWORD },
    });
    expectStatus(set, 200, 'admin sets');
    expectStatus(await me(session), 401, 'session');
    expectStatus(await useReset(reset), 401, 'reset link');
    expectStatus(await me(ada), 200, "the admin's own session");
  });

  it('completing a reset spends every other reset link and ends every session', async () => {
    const eve = await userWithPassword();
    const session = await signIn(deps, acme, eve);
    const first = await outstandingStep(eve, 'reset');
    const second = await outstandingStep(eve, 'reset');
    expectStatus(await post('/access/password_reset/complete', { token: first, password: NEW_PASSWORD }), 200, 'reset');
    expectStatus(await useReset(second), 401, 'the other reset link');
    expectStatus(await me(session), 401, 'session');
  });

  it('completing a forced change spends outstanding reset links', async () => {
    const fay = await userWithPassword(true);
    const reset = await outstandingStep(fay, 'reset');
    const signedIn = await post('/access/sign_in', { email: fay.email, password: PASSWORD });
    expectStatus(signedIn, 200, 'sign-in');
    const changeToken = signedIn.json<{ change_token: string }>().change_token;
    expectStatus(await post('/access/password_change', { change_token: changeToken, password: NEW_PASSWORD }), 200, 'forced change');
    expectStatus(await useReset(reset), 401, 'reset link');
  });

  it('refuses every write to a read-only OAuth token, naming the missing scope, in one place', async () => {
    const gus = await userWithPassword();
    const session = await signIn(deps, acme, gus);
    const client = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: ada.headers,
      payload: { client: { name: 'Viewer', identifier: 'viewer', redirect_uri: ['https://app.example/callback'] } },
    });
    expectStatus(client, 201, 'client');
    const issued = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/tokens.json',
      headers: ada.headers,
      payload: { token: { client_id: client.json<{ client: { id: number } }>().client.id, user_id: gus.id, scopes: ['read'] } },
    });
    expectStatus(issued, 201, 'token');
    const readOnly = { host: hostOf(acme), authorization: `Bearer ${issued.json<{ token: { token: string } }>().token.token}` };

    expectStatus(await app.inject({ url: '/api/v2/users/me/sessions.json', headers: readOnly }), 200, 'read');
    const signOutEverywhere = await app.inject({ method: 'DELETE', url: '/api/v2/users/me/sessions.json', headers: readOnly });
    expectStatus(signOutEverywhere, 403, 'sign out everywhere');
    expect(signOutEverywhere.json<{ description: string }>().description).toContain('"write" scope');
    expectStatus(await me(session), 200, 'the session it tried to end');

    // Every unsafe route of the customer API: refused before its handler (or by its body schema, before that).
    // The token endpoint reads client credentials only: it drops the Authorization header before authentication.
    const ownCredentials = new Set(['/api/v2/oauth/tokens/current', '/oauth/tokens']);
    const paths = (await app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>().paths;
    const writes = Object.entries(paths)
      .filter(([path]) => !path.startsWith('/ops/') && !path.startsWith('/hc/') && !path.startsWith('/api/v2/help_center/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })))
      .filter(({ method, path }) => !['GET', 'HEAD', 'OPTIONS'].includes(method) && !ownCredentials.has(path));
    expect(writes.length).toBeGreaterThan(20);
    for (const { method, path } of writes) {
      const url = path.replace(/\{[^}]+\}/g, '1');
      const response = await app.inject({ method: method as 'POST', url, headers: readOnly, payload: {} });
      if (response.statusCode === 400) continue;
      expectStatus(response, 403, `${method} ${path}`);
      expect(response.json<{ description: string }>().description, `${method} ${path}`).toContain('"write" scope');
    }
    // Giving up the token itself needs no write scope.
    expectStatus(await app.inject({ method: 'DELETE', url: '/api/v2/oauth/tokens/current.json', headers: readOnly }), 204, 'revoke itself');
  });

  it('creating a user with a password the policy refuses leaves no user behind', async () => {
    const create = (password: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v2/users.json',
        headers: ada.headers,
        payload: { user: { name: 'Hal', email: 'hal@acme.test', role: 'agent', password } },
      });
    expectStatus(await create('password'), 422, 'weak password');
    const rows = await database.db
      .selectFrom('users')
      .select('id')
      .where('account_id', '=', acme.id)
      .where('email', '=', 'hal@acme.test')
      .execute();
    expect(rows).toEqual([]);
    expectStatus(await create(NEW_PASSWORD), 201, 'good password');
    expectStatus(await post('/access/sign_in', { email: 'hal@acme.test', password: NEW_PASSWORD }), 200, 'sign-in with it');
  });
});
