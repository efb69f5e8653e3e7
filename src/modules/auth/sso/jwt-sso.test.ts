import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../../db/schema.js';
import type { FixedClock } from '../../../platform/clock.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { hashPassword } from '../passwords/password-hashing.js';
import { buildTestApp, testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { hostOf, insertUser, signIn as signInDirectly } from '../../../../test/support/identity-fixtures.js';
import { mintJwt, sessionCookieOf, unsignedJwt, whoAmI } from '../../../../test/support/sso-fixtures.js';

const ACME_SECRET = 'acme-shared-secret-0123456789-abcdefghijklmnop';
const GLOBEX_SECRET = 'globex-shared-secret-0123456789-abcdefghijklmno';

describe.each(backends)('JWT single sign-on on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  });

  const enableJwt = async (account: Account, secret: string): Promise<void> => {
    const admin = await insertUser(database.db, account, `admin-${account.subdomain}@example.test`, { role: 'admin' });
    const session = await signInDirectly(deps, account, admin);
    const response = await app.inject({
      method: 'PUT',
      url: '/api/v2/account/sso.json',
      headers: { host: hostOf(account), cookie: session.cookie, 'x-csrf-token': session.csrfToken },
      payload: { sso: { jwt: { enabled: true, shared_secret: secret, remote_login_url: 'https://idp.example.test/login' } } },
    });
    expect(response.statusCode).toBe(200);
  };

  let jtiCounter = 0;
  const jwtFor = (secret: string, claims: Record<string, unknown> = {}, options: { issuedAt?: Date; alg?: string } = {}): Promise<string> =>
    mintJwt(
      secret,
      { jti: `jti-${(jtiCounter += 1)}`, ...claims },
      { issuedAt: options.issuedAt ?? deps.clock.now(), ...(options.alg === undefined ? {} : { alg: options.alg }) },
    );

  const signIn = (account: Account, token: string, returnTo?: string) =>
    app.inject({
      method: 'GET',
      url: `/access/jwt?jwt=${encodeURIComponent(token)}${returnTo === undefined ? '' : `&return_to=${encodeURIComponent(returnTo)}`}`,
      headers: { host: hostOf(account) },
    });

  const findUser = (account: Account, email: string): Promise<User | undefined> =>
    database.db.selectFrom('users').selectAll().where('account_id', '=', account.id).where('email', '=', email).executeTakeFirst();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    // Links and return URLs come from RIPOSTE_PUBLIC_URL: here the accounts' pages are http://{subdomain}.localhost.
    app = await buildTestApp(deps, { config: { ...deps.config, logLevel: 'info', publicUrl: 'http://localhost' }, logStream });
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    await enableJwt(acme, ACME_SECRET);
    await enableJwt(globex, GLOBEX_SECRET);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('creates an SSO end user on first sign-in, sets a session cookie that authenticates, and follows return_to', async () => {
    const token = await jwtFor(ACME_SECRET, { email: 'Ana@Customer.test', name: 'Ana Lima', external_id: 'idp-ana' });
    const response = await signIn(acme, token, '/hc/en-us/requests?page=2');
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/hc/en-us/requests?page=2');
    expect(response.headers['set-cookie']).toContain('HttpOnly');
    const cookie = sessionCookieOf(response.headers['set-cookie']);
    expect(cookie).toBeDefined();
    expect(await whoAmI(app, acme, cookie ?? '')).toEqual({ status: 200, email: 'ana@customer.test', sso: true });

    const user = await findUser(acme, 'ana@customer.test');
    expect(user).toMatchObject({ role: 'end-user', realm: 'core', name: 'Ana Lima', external_id: 'idp-ana', sso: 1, active: 1 });
    expect(user?.last_login_at).toBe(deps.clock.now().toISOString());
    // The session is Acme's only.
    expect((await whoAmI(app, globex, cookie ?? '')).status).toBe(401);
  });

  it('also accepts the token POSTed as a form', async () => {
    const token = await jwtFor(ACME_SECRET, { email: 'form@customer.test' });
    const response = await app.inject({
      method: 'POST',
      url: '/access/jwt',
      headers: { host: hostOf(acme), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ jwt: token, return_to: `http://${hostOf(acme)}/agent` }).toString(),
    });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/agent');
  });

  it('refuses a replayed jti', async () => {
    const token = await jwtFor(ACME_SECRET, { email: 'replay@customer.test' });
    expect((await signIn(acme, token)).statusCode).toBe(302);
    const replay = await signIn(acme, token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'InvalidSsoToken', details: { reason: 'replayed' } });
    expect(replay.headers['set-cookie']).toBeUndefined();
  });

  it('refuses an iat more than three minutes old or ahead, and accepts one within the window', async () => {
    const now = deps.clock.now().getTime();
    const old = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'late@customer.test' }, { issuedAt: new Date(now - 4 * 60_000) }));
    expect(old.statusCode).toBe(401);
    expect(old.json()).toMatchObject({ error: 'InvalidSsoToken', details: { reason: 'expired' } });
    const ahead = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'early@customer.test' }, { issuedAt: new Date(now + 4 * 60_000) }));
    expect(ahead.statusCode).toBe(401);
    expect(ahead.json()).toMatchObject({ details: { reason: 'not_yet_valid' } });
    const skewed = await signIn(
      acme,
      await jwtFor(ACME_SECRET, { email: 'skewed@customer.test' }, { issuedAt: new Date(now - 2 * 60_000) }),
    );
    expect(skewed.statusCode).toBe(302);
  });

  it('refuses a token signed with another secret, unsigned (alg none), or with another algorithm', async () => {
    const wrong = await signIn(acme, await jwtFor('not-the-acme-secret-but-long-enough-0123456789', { email: 'x@customer.test' }));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'InvalidSsoToken', details: { reason: 'bad_signature' } });

    const issuedAt = Math.floor(deps.clock.now().getTime() / 1000);
    const none = await signIn(acme, unsignedJwt({ email: 'x@customer.test', jti: 'none-1', iat: issuedAt }));
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ details: { reason: 'algorithm_not_allowed' } });

    const hs512 = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'x@customer.test' }, { alg: 'HS512' }));
    expect(hs512.statusCode).toBe(401);
    expect(hs512.json()).toMatchObject({ details: { reason: 'algorithm_not_allowed' } });
    expect(await findUser(acme, 'x@customer.test')).toBeUndefined();
  });

  it("refuses at Globex's host a token made for Acme", async () => {
    const response = await signIn(globex, await jwtFor(ACME_SECRET, { email: 'ana@customer.test' }));
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ details: { reason: 'bad_signature' } });
    expect(await findUser(globex, 'ana@customer.test')).toBeUndefined();
  });

  it('ignores a return_to on another host', async () => {
    for (const returnTo of [
      'https://evil.test/phish',
      '//evil.test/phish',
      '/\\evil.test/phish',
      '/.//evil.test/phish',
      '/%2F%2Fevil.test/phish',
      '/\t/evil.test/phish',
      `https://${hostOf(globex)}/agent`,
      'javascript:alert(1)',
    ]) {
      const response = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'redirect@customer.test' }), returnTo);
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe('/');
    }
  });

  it('refuses a token without email, or without jti, saying which claim is missing', async () => {
    const noEmail = await signIn(acme, await jwtFor(ACME_SECRET, { name: 'Nobody' }));
    expect(noEmail.statusCode).toBe(401);
    expect(noEmail.json()).toMatchObject({ details: { reason: 'missing_claim' } });
    expect(noEmail.json<{ description: string }>().description).toContain('"email"');

    const noJti = await signIn(acme, await mintJwt(ACME_SECRET, { email: 'nojti@customer.test' }, { issuedAt: deps.clock.now() }));
    expect(noJti.json()).toMatchObject({ details: { reason: 'missing_claim' } });
    expect(noJti.json<{ description: string }>().description).toContain('"jti"');

    const garbage = await signIn(acme, 'not.a.jwt');
    expect(garbage.statusCode).toBe(401);
    expect(garbage.json()).toMatchObject({ details: { reason: 'malformed' } });
  });

  it('turns a password user into an SSO-only user whose password no longer signs in', async () => {
    const password = 'correct horse battery staple 2026';
    const user = await insertUser(database.db, acme, 'paula@customer.test', { role: 'agent' });
    await database.db
      .insertInto('password_credentials')
      .values({
        account_id: acme.id,
        user_id: user.id,
        password_hash: await hashPassword(password),
        password_changed_at: '2025-01-01T00:00:00.000Z',
        must_change: 0,
        must_change_reason: null,
        must_change_incident_id: null,
      })
      .execute();
    const passwordSignIn = (candidate: string) =>
      app.inject({
        method: 'POST',
        url: '/access/sign_in',
        headers: { host: hostOf(acme) },
        payload: { email: 'paula@customer.test', password: candidate },
      });
    expect((await passwordSignIn(password)).statusCode).toBe(200);

    const response = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'paula@customer.test', external_id: 'idp-paula' }));
    expect(response.statusCode).toBe(302);
    expect(await findUser(acme, 'paula@customer.test')).toMatchObject({ id: user.id, role: 'agent', sso: 1, external_id: 'idp-paula' });

    for (const candidate of [password, 'anything else at all']) {
      const refused = await passwordSignIn(candidate);
      expect(refused.statusCode).toBe(401);
    }
    const events = await database.db
      .selectFrom('audit_events')
      .select('action')
      .where('account_id', '=', acme.id)
      .where('target_id', '=', String(user.id))
      .execute();
    expect(events.map((event) => event.action)).toContain('user.sso_enabled');
  });

  it('finds a returning user by external_id first, taking the new email the identity provider sends', async () => {
    const first = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'old@customer.test', external_id: 'idp-42' }));
    expect(first.statusCode).toBe(302);
    const before = await findUser(acme, 'old@customer.test');
    const second = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'new@customer.test', external_id: 'idp-42' }));
    expect(second.statusCode).toBe(302);
    expect(await findUser(acme, 'old@customer.test')).toBeUndefined();
    expect(await findUser(acme, 'new@customer.test')).toMatchObject({ id: before?.id, external_id: 'idp-42' });
  });

  it('refuses a suspended user and an email that belongs to another external id', async () => {
    await insertUser(database.db, acme, 'gone@customer.test', { active: 0, sso: 1 });
    const suspended = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'gone@customer.test' }));
    expect(suspended.statusCode).toBe(403);
    expect(suspended.headers['set-cookie']).toBeUndefined();

    await insertUser(database.db, acme, 'taken@customer.test', { sso: 1, external_id: 'idp-owner' });
    const hijack = await signIn(acme, await jwtFor(ACME_SECRET, { email: 'taken@customer.test', external_id: 'idp-other' }));
    expect(hijack.statusCode).toBe(409);
  });

  it('answers 403 where JWT SSO is not enabled, and 404 where no account answers', async () => {
    const initech = await insertAccount(database.db, 'initech');
    const disabled = await signIn(initech, await jwtFor(ACME_SECRET, { email: 'a@b.test' }));
    expect(disabled.statusCode).toBe(403);
    expect(disabled.json()).toMatchObject({ error: 'SsoNotEnabled' });
    const nowhere = await app.inject({ method: 'GET', url: '/access/jwt?jwt=x', headers: { host: '127.0.0.1' } });
    expect(nowhere.statusCode).toBe(404);
  });

  it('never echoes or logs the token', async () => {
    const token = await jwtFor('some-other-secret-that-is-long-enough-000000', { email: 'leak@customer.test' });
    const response = await signIn(acme, token);
    expect(response.statusCode).toBe(401);
    expect(response.body).not.toContain(token);
    const signature = token.split('.')[2] ?? '';
    expect(logLines.join('\n')).not.toContain(signature);
    expect(logLines.join('\n')).not.toContain(ACME_SECRET);
    expect(logLines.length).toBeGreaterThan(0);
  });

  it('sends the browser to the remote login URL to start sign-in', async () => {
    const response = await app.inject({ method: 'GET', url: '/access/sso?return_to=%2Fhc', headers: { host: hostOf(acme) } });
    expect(response.statusCode).toBe(302);
    const location = new URL(response.headers.location ?? '');
    expect(location.origin + location.pathname).toBe('https://idp.example.test/login');
    expect(location.searchParams.get('return_to')).toBe(`http://${hostOf(acme)}/hc`);
  });
});
