/**
 * Erasure end to end over the real app: a user who created every kind of
 * record there is (credentials, history, sessions, tokens, throttle rows,
 * mail, audit events with personal data) is deleted, then permanently
 * deleted; afterwards no text column of any table, and not the audit CSV
 * export, holds their email, name or phone, and every audit chain verifies.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { verifyAuditChains } from '../../src/platform/audit/audit.service.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';
import { buildTestApp, testDeps, testKeyring } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';
import { findText } from '../support/text-scan.js';
import { IN_ORDER } from '../support/in-order.js';

const ANA = { name: 'Anastasia Quillfeather', email: 'anastasia.quillfeather@acme.test', phone: '+33 6 12 34 56 78' };
const ANA_NEW_PHONE = '+33 6 98 76 54 32';
const PASSWORD = 'violet kettle marching sideways 42';
const SECRETS = [ANA.email, ANA.name, ANA.phone, ANA_NEW_PHONE];
/** Any email address, as it would appear in JSON. */
const EMAIL = /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/i;

/** Mail the embedded transport wrote (no SMTP server in tests) that mentions `needle`. */
function mailFilesMentioning(dataDir: string, needle: string): string[] {
  const outbox = path.join(dataDir, 'outbox');
  if (!fs.existsSync(outbox)) return [];
  return fs.readdirSync(outbox).filter((name) => fs.readFileSync(path.join(outbox, name), 'utf8').includes(needle));
}

/** The SQLite database and its write-ahead log, as bytes on disk: what free pages and old log frames still hold. */
function sqliteFilesMentioning(dataDir: string, needles: readonly string[]): string[] {
  const files = ['riposte.sqlite', 'riposte.sqlite-wal'].map((name) => path.join(dataDir, name)).filter((file) => fs.existsSync(file));
  return files.flatMap((file) => {
    const bytes = fs.readFileSync(file);
    return needles.filter((needle) => bytes.includes(Buffer.from(needle, 'utf8'))).map((needle) => `${path.basename(file)}: ${needle}`);
  });
}

describe.each(backends)('erasure of a user on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps;
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let admin: TestSession;
  let agent: TestSession;
  let globexAdmin: TestSession;
  let anaId: number;
  let anaCookie: string;

  const json = (response: { statusCode: number; body: string }, status: number) => {
    expect(response.statusCode, response.body).toBe(status);
    return JSON.parse(response.body) as Record<string, unknown>;
  };
  const as = (session: TestSession, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: session.headers, ...(payload === undefined ? {} : { payload }) });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    await deps.jobs.start();
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    const ada: User = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' });
    admin = await signIn(deps, acme, ada);
    agent = await signIn(deps, acme, await insertUser(database.db, acme, 'agent@acme.test', { role: 'agent' }));
    globexAdmin = await signIn(deps, globex, await insertUser(database.db, globex, 'gil@globex.test', { role: 'admin' }));

    // Ana is created with a password, changes her phone, signs in, fails once, asks for a reset, makes tokens.
    const created = json(await as(admin, 'POST', '/api/v2/users.json', { user: { ...ANA, role: 'admin', password: PASSWORD } }), 201);
    anaId = (created.user as { id: number }).id;
    json(await as(admin, 'PUT', `/api/v2/users/${anaId}.json`, { user: { phone: ANA_NEW_PHONE } }), 200);
    const host = hostOf(acme);
    const signedIn = await app.inject({
      method: 'POST',
      url: '/access/sign_in',
      headers: { host },
      payload: { email: ANA.email, password: PASSWORD },
    });
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    anaCookie = String(signedIn.headers['set-cookie']).split(';')[0] ?? '';
    const anaCsrf = (JSON.parse(signedIn.body) as { authenticity_token: string }).authenticity_token;
    const failed = await app.inject({
      method: 'POST',
      url: '/access/sign_in',
      headers: { host },
      payload: { email: ANA.email, password: 'wrong wrong wrong 1' },
    });
    expect(failed.statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'POST', url: '/access/password_reset', headers: { host }, payload: { email: ANA.email } })).statusCode,
    ).toBe(202);
    await deps.jobs.drain();
    const anaHeaders = { host, cookie: anaCookie, 'x-csrf-token': anaCsrf };
    const token = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: anaHeaders,
      payload: { api_token: { description: 'Ana’s' } },
    });
    expect(token.statusCode, token.body).toBe(201);
    const client = json(
      await as(admin, 'POST', '/api/v2/oauth/clients.json', {
        client: { name: 'Erasure', identifier: 'erasure', redirect_uri: ['https://app.test/cb'], kind: 'confidential' },
      }),
      201,
    );
    const clientId = (client.client as { id: number }).id;
    json(await as(admin, 'POST', '/api/v2/oauth/tokens.json', { token: { client_id: clientId, user_id: anaId, scopes: ['read'] } }), 201);
    await database.db.updateTable('accounts').set({ security_contact_email: ANA.email }).where('id', '=', acme.id).execute();
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('never puts an email, a name or a phone into the hashed audit data', async () => {
    const rows = await database.db.selectFrom('audit_events').select(['action', 'data', 'personal_data']).execute();
    expect(rows.map((row) => row.action)).toEqual(
      expect.arrayContaining(['user.created', 'user.updated', 'session.started', 'password.changed']),
    );
    for (const row of rows) {
      expect(row.data, row.action).not.toMatch(EMAIL);
      for (const secret of SECRETS) expect(row.data.toLowerCase(), row.action).not.toContain(secret.toLowerCase());
    }
    // They are recorded, outside the hash.
    expect(rows.some((row) => row.personal_data?.includes(ANA.email) === true)).toBe(true);
  });

  it('finds her data in the tables the scan covers before erasure (so the scan can fail)', async () => {
    await deps.signInEvents.flush();
    const tables = new Set((await findText(database.db, backend, [ANA.email])).map((hit) => hit.table.replace(/^public\./, '')));
    expect([...tables]).toEqual(
      expect.arrayContaining(['users', 'audit_events', 'login_throttles', 'messages', 'accounts', 'sign_in_events']),
    );
    // The password reset request job carries the address too.
    expect([...tables]).toContain(backend === 'postgres' ? 'pgboss.job' : 'local_jobs');
    expect(mailFilesMentioning(database.dataDir, ANA.email).length).toBeGreaterThan(0);
    if (backend === 'sqlite') expect(sqliteFilesMentioning(database.dataDir, [ANA.email]).length).toBeGreaterThan(0);
  });

  it('refuses the deletion routes to agents, other accounts and anonymous callers', async () => {
    const routes: Array<['GET' | 'DELETE', string]> = [
      ['DELETE', `/api/v2/users/${anaId}.json`],
      ['GET', '/api/v2/deleted_users.json'],
      ['GET', `/api/v2/deleted_users/${anaId}.json`],
      ['DELETE', `/api/v2/deleted_users/${anaId}.json`],
    ];
    for (const [method, url] of routes) {
      expect((await as(agent, method, url)).statusCode, `agent ${method} ${url}`).toBe(403);
      expect((await app.inject({ method, url, headers: { host: hostOf(acme) } })).statusCode, `anonymous ${method} ${url}`).toBe(401);
    }
    expect((await as(globexAdmin, 'DELETE', `/api/v2/users/${anaId}.json`)).statusCode).toBe(404);
    expect((await as(globexAdmin, 'DELETE', `/api/v2/deleted_users/${anaId}.json`)).statusCode).toBe(404);
    const notDeleted = json(await as(admin, 'DELETE', `/api/v2/deleted_users/${anaId}.json`), 422);
    expect(notDeleted.description).toContain(`DELETE /api/v2/users/${anaId}.json`);
    const owner = await insertUser(database.db, acme, 'owner@acme.test', { role: 'admin' });
    expect(json(await as(admin, 'DELETE', `/api/v2/users/${owner.id}.json`), 403).description).toContain('Only the account owner');
    const self = (await database.db.selectFrom('users').select('id').where('email', '=', 'ada@acme.test').executeTakeFirstOrThrow()).id;
    expect(json(await as(admin, 'DELETE', `/api/v2/users/${self}.json`), 422).description).toContain('yourself');
  });

  it('soft-deletes: suspended, signed out everywhere, listed in the deleted users', async () => {
    const deleted = json(await as(admin, 'DELETE', `/api/v2/users/${anaId}.json`), 200);
    expect(deleted.user).toMatchObject({ id: anaId, email: ANA.email, active: false, erased_at: null });
    expect(json(await as(admin, 'DELETE', `/api/v2/users/${anaId}.json`), 200).user).toEqual(deleted.user);
    const me = await app.inject({ url: '/api/v2/users/me.json', headers: { host: hostOf(acme), cookie: anaCookie } });
    expect(me.statusCode).toBe(401);
    const tokens = await database.db.selectFrom('oauth_tokens').select('revoked_at').where('user_id', '=', anaId).execute();
    expect(tokens.length).toBe(1);
    expect(tokens.every((row) => row.revoked_at !== null)).toBe(true);
    const list = json(await as(admin, 'GET', '/api/v2/deleted_users.json'), 200);
    expect((list.deleted_users as Array<{ id: number }>).map((user) => user.id)).toEqual([anaId]);
    expect(json(await as(admin, 'GET', `/api/v2/deleted_users/${anaId}.json`), 200).deleted_user).toMatchObject({ name: ANA.name });
  });

  it('keeps a deleted user out of the live user list and refuses to change or reactivate her', async () => {
    const live = json(await as(admin, 'GET', '/api/v2/users.json'), 200);
    expect((live.users as Array<{ id: number }>).map((user) => user.id)).not.toContain(anaId);
    expect(live.count).toBe((live.users as unknown[]).length);
    const reactivated = await as(admin, 'PUT', `/api/v2/users/${anaId}.json`, { user: { active: true } });
    expect(reactivated.statusCode, reactivated.body).toBe(422);
    expect(reactivated.body).toContain('deleted_users');
    const row = await database.db.selectFrom('users').select('active').where('id', '=', anaId).executeTakeFirstOrThrow();
    expect(Number(row.active)).toBe(0);
  });

  it('permanently deletes: her email, name and phone are in no table and no export, and every chain verifies', async () => {
    const erased = json(await as(admin, 'DELETE', `/api/v2/deleted_users/${anaId}.json`), 200);
    expect(erased.deleted_user).toMatchObject({
      id: anaId,
      name: 'Deleted user',
      email: `deleted-user-${anaId}@erased.invalid`,
      phone: null,
    });
    expect(erased.deleted_user).toHaveProperty('erased_at', expect.any(String));
    // Twice is harmless: same answer, no second event.
    expect(json(await as(admin, 'DELETE', `/api/v2/deleted_users/${anaId}.json`), 200)).toEqual(erased);
    const events = await database.db.selectFrom('audit_events').select(['action', 'data']).where('action', '=', 'user.erased').execute();
    expect(events.length).toBe(1);
    expect(events[0]?.data).not.toMatch(EMAIL);

    expect(await findText(database.db, backend, SECRETS)).toEqual([]);
    expect(mailFilesMentioning(database.dataDir, ANA.email)).toEqual([]);
    // Not in SQLite's free pages or log either (secure_delete, then a checkpoint that empties the log).
    if (backend === 'sqlite') expect(sqliteFilesMentioning(database.dataDir, SECRETS)).toEqual([]);
    const csv = await as(admin, 'GET', '/api/v2/audit_logs/export.csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('user.erased');
    for (const secret of SECRETS) expect(csv.body.toLowerCase()).not.toContain(secret.toLowerCase());

    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true, firstBroken: undefined });
    expect((await as(admin, 'GET', `/api/v2/deleted_users/${anaId}.json`)).statusCode).toBe(404);
    expect(json(await as(admin, 'GET', '/api/v2/deleted_users.json'), 200).deleted_users).toEqual([]);
  });
});
