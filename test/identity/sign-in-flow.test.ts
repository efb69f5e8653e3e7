/** The web sign-in flow over HTTP: change-step expiry, reset without enumeration, throttling and legacy upgrade. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { readMessageDataConfidential } from '../../src/modules/courier/outbox.service.js';
import { listMessages } from '../../src/modules/courier/outbox.repo.js';
import { hashSaltedSha1, parsePasswordHash } from '../../src/modules/auth/password-formats.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertUser, signIn } from '../support/identity-fixtures.js';

const PASSWORD = 'Marble-Orchard-Sunrise-31';
const NEW_PASSWORD = 'Velvet-Compass-Evening-58';

describe.each(backends)('sign-in flow on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let deps: ReturnType<typeof testDeps>;
  let acme: Account;

  const post = (url: string, payload: object, ip = '198.51.100.7') =>
    app.inject({ method: 'POST', url, headers: { host: hostOf(acme) }, payload, remoteAddress: ip });

  async function userWithPassword(email: string, hash: string, mustChange = false): Promise<User> {
    const user = await insertUser(database.db, acme, email);
    await database.db
      .insertInto('password_credentials')
      .values({
        account_id: acme.id,
        user_id: user.id,
        password_hash: hash,
        password_changed_at: '2015-01-01T00:00:00.000Z',
        must_change: mustChange ? 1 : 0,
        must_change_reason: null,
        must_change_incident_id: null,
      })
      .execute();
    return user;
  }

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    await deps.jobs.start();
    acme = await insertAccount(database.db, 'acme');
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('expires the change step after ten minutes', async () => {
    await userWithPassword('late@acme.test', await hashPassword(PASSWORD), true);
    const step = (await post('/access/sign_in', { email: 'late@acme.test', password: PASSWORD })).json<{ change_token: string }>();
    deps.clock.advance(10 * 60 * 1000 + 1);
    const response = await post('/access/password_change', { change_token: step.change_token, password: NEW_PASSWORD });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'InvalidToken', description: expect.stringContaining('expired') });
  });

  it('answers a reset request the same whether or not the address exists, and mails only a real user', async () => {
    const user = await userWithPassword('reset@acme.test', await hashPassword(PASSWORD));
    const session = await signIn(deps, acme, user);
    const known = await post('/access/password_reset', { email: 'Reset@acme.test' });
    const unknown = await post('/access/password_reset', { email: 'nobody@acme.test' });
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.json()).toEqual(known.json());
    await deps.jobs.drain();
    // The reset job queues the mail and a courier drain; a second drain waits for that one too.
    await deps.jobs.drain();

    const messages = await listMessages(database.db, acme.id, 'password_reset');
    expect(messages.map((m) => m.recipient)).toEqual(['reset@acme.test']);
    const [message] = messages;
    if (message === undefined) throw new Error('no reset message');
    // Sent by the courier (the embedded .eml transport of the test's data directory).
    expect(message.state).toBe('sent');
    expect(message.template_data).not.toContain('token=');
    const data = await readMessageDataConfidential(deps, message);
    const token = new URL(String(data.reset_url)).searchParams.get('token') ?? '';

    const weak = await post('/access/password_reset/complete', { token, password: 'password' });
    expect(weak.statusCode).toBe(422);
    const done = await post('/access/password_reset/complete', { token, password: NEW_PASSWORD });
    expect(done.statusCode).toBe(200);
    expect((await post('/access/password_reset/complete', { token, password: 'Another-Good-Password-12' })).statusCode).toBe(401);
    expect((await post('/access/sign_in', { email: 'reset@acme.test', password: NEW_PASSWORD })).json()).toMatchObject({
      status: 'signed_in',
    });
    const me = await app.inject({ url: '/api/v2/users/me', headers: { host: hostOf(acme), cookie: session.cookie } });
    expect(me.statusCode).toBe(401);
  });

  it('locks guessing temporarily, with the same answer as a wrong password, then lets the owner back in', async () => {
    await userWithPassword('target@acme.test', await hashPassword(PASSWORD));
    const wrong = async () => post('/access/sign_in', { email: 'target@acme.test', password: 'guess-guess-guess' }, '203.0.113.9');
    const first = await wrong();
    for (let i = 0; i < 6; i++) await wrong();
    const whileLocked = await post('/access/sign_in', { email: 'target@acme.test', password: PASSWORD }, '203.0.113.9');
    expect(whileLocked.statusCode).toBe(401);
    expect(whileLocked.json()).toEqual(first.json());
    deps.clock.advance(16 * 60 * 1000);
    const after = await post('/access/sign_in', { email: 'target@acme.test', password: PASSWORD }, '203.0.113.9');
    expect(after.json()).toMatchObject({ status: 'signed_in' });
  });

  it('upgrades a legacy hash to argon2id at sign-in', async () => {
    const user = await userWithPassword('legacy@acme.test', hashSaltedSha1(PASSWORD, 'Xy12'));
    expect((await post('/access/sign_in', { email: 'legacy@acme.test', password: PASSWORD })).json()).toMatchObject({
      status: 'signed_in',
    });
    const stored = await database.db
      .selectFrom('password_credentials')
      .select('password_hash')
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(parsePasswordHash(stored.password_hash)).toBe('argon2id');
    expect((await post('/access/sign_in', { email: 'legacy@acme.test', password: PASSWORD })).json()).toMatchObject({
      status: 'signed_in',
    });
  });
});
