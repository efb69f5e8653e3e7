/**
 * What Riposte writes that points somewhere comes from configuration, and the
 * operator surfaces answer on the operator host only (README, Security).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { listMessages } from '../../src/modules/courier/outbox.repo.js';
import { readMessageDataConfidential } from '../../src/modules/courier/outbox.service.js';
import { recordAudit } from '../../src/platform/audit/audit.service.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertPasswordCredential, insertUser, signIn } from '../support/identity-fixtures.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../support/staff-fixtures.js';

const PASSWORD = 'Marble-Orchard-Sunrise-31';
const HOSTILE_HEADERS = { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https', 'x-forwarded-port': '8443' };

describe.each(backends)('links and hosts on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let deps: ReturnType<typeof testDeps>;
  let acme: Account;
  let admin: User;
  let operator: StaffSession;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    // Behind one proxy, whose X-Forwarded-* a client can still forge for the hops it controls.
    app = await buildTestApp(deps, { config: { ...deps.config, trustProxy: 1 } });
    await deps.jobs.start();
    acme = await insertAccount(database.db, 'acme', { host_mapping: 'help.acme.test' });
    admin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin', name: 'Ada Admin' });
    await insertUser(database.db, acme, 'second@acme.test', { role: 'agent' });
    operator = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'olga@vendor.test', 'operator'));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  async function resetLinkFor(email: string, headers: Record<string, string>): Promise<URL> {
    const requested = await app.inject({ method: 'POST', url: '/access/password_reset', headers, payload: { email } });
    expect(requested.statusCode).toBe(202);
    await deps.jobs.drain();
    await deps.jobs.drain();
    const messages = await listMessages(database.db, acme.id, 'password_reset');
    const latest = messages.filter((message) => message.recipient === email).at(-1);
    if (latest === undefined) throw new Error(`no reset mail for ${email}`);
    return new URL(String((await readMessageDataConfidential(deps, latest)).reset_url));
  }

  it('mails a reset link on the configured origin whatever Host, port or X-Forwarded-Host the request carried', async () => {
    const eve = await insertPasswordCredential(database.db, await insertUser(database.db, acme, 'eve@acme.test'), {
      password_hash: await hashPassword(PASSWORD),
    });
    const forged = await resetLinkFor(eve.email, { host: `${hostOf(acme)}:6666`, ...HOSTILE_HEADERS });
    expect(forged.origin).toBe('http://acme.localhost:3000');
    expect(forged.pathname).toBe('/access/password_reset');
    // The mapped domain is the account's own (from the database), with the public URL's scheme and port.
    const mapped = await resetLinkFor(eve.email, { host: 'help.acme.test', ...HOSTILE_HEADERS });
    expect(mapped.origin).toBe('http://help.acme.test:3000');
  });

  it('names the configured sign-in page in PasswordChangeRequired, not the forwarded host', async () => {
    const pending = await insertPasswordCredential(database.db, await insertUser(database.db, acme, 'pending@acme.test'), {
      password_hash: await hashPassword(PASSWORD),
      must_change: 1,
      must_change_reason: 'incident',
    });
    const response = await app.inject({
      url: '/api/v2/users/me.json',
      headers: {
        host: hostOf(acme),
        ...HOSTILE_HEADERS,
        authorization: `Basic ${Buffer.from(`${pending.email}:${PASSWORD}`).toString('base64')}`,
      },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json<{ description: string }>().description).toContain('http://acme.localhost:3000/access/sign_in');
    expect(response.body).not.toContain('attacker.example');
  });

  it('builds pagination links from configuration', async () => {
    const session = await signIn(deps, acme, admin);
    const response = await app.inject({
      url: '/api/v2/users.json?page[size]=1',
      headers: { host: `${hostOf(acme)}:6666`, cookie: session.cookie, ...HOSTILE_HEADERS },
    });
    expect(response.statusCode).toBe(200);
    const next = response.json<{ links: { next: string } }>().links.next;
    expect(new URL(next).origin).toBe('http://acme.localhost:3000');
  });

  it('describes the SAML service provider on the configured origin', async () => {
    const response = await app.inject({ url: '/access/saml/metadata', headers: { host: hostOf(acme), ...HOSTILE_HEADERS } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('entityID="http://acme.localhost:3000/access/saml/metadata"');
    expect(response.body).not.toContain('attacker.example');
  });

  it('answers operator routes and pages on the operator host only', async () => {
    for (const host of [hostOf(acme), `${hostOf(acme)}:3000`, 'help.acme.test', 'HELP.ACME.TEST.', 'evil.test']) {
      for (const url of ['/ops/v1/incidents', '/ops/v1/session', '/ops/console', '/ops/console/incidents/1']) {
        const response = await app.inject({ url, headers: { ...operator.headers, host } });
        expect(response.statusCode, `${host}${url}`).toBe(404);
        expect(response.json(), `${host}${url}`).toMatchObject({ error: 'InvalidEndpoint' });
      }
    }
    const onOperatorHost = await app.inject({ url: '/ops/v1/incidents', headers: { ...operator.headers, host: 'localhost:3000' } });
    expect(onOperatorHost.statusCode).toBe(200);
    expect((await app.inject({ url: '/ops/v1/incidents', headers: { host: 'localhost' } })).statusCode).toBe(401);
  });

  it('moves the operator surfaces to RIPOSTE_OPS_HOST when it is set', async () => {
    const opsApp = await buildTestApp(deps, { config: { ...deps.config, opsHost: 'ops.vendor.test' } });
    try {
      expect((await opsApp.inject({ url: '/ops/v1/incidents', headers: { host: 'localhost' } })).statusCode).toBe(404);
      expect((await opsApp.inject({ url: '/ops/v1/incidents', headers: { host: 'ops.vendor.test:443' } })).statusCode).toBe(401);
    } finally {
      await opsApp.close();
    }
  });

  it('shows operators no personal data in an audit trail without a grant, and the whole trail with one', async () => {
    await database.db.transaction().execute((tx) =>
      recordAudit(tx, deps, {
        accountId: acme.id,
        actor: { type: 'user', id: admin.id },
        action: 'user.updated',
        target: { type: 'user', id: admin.id },
        data: { fields: ['email'] },
        personal: { userId: admin.id, values: { email: 'secret-person@acme.test', ip: '203.0.113.77' } },
      }),
    );
    const read = async (): Promise<{ json: string; csv: string }> => {
      const json = await app.inject({ url: '/ops/v1/audit_logs.json?account=acme&filter[action]=user.updated', headers: operator.headers });
      const csv = await app.inject({ url: '/ops/v1/audit_logs.csv?account=acme&filter[action]=user.updated', headers: operator.headers });
      expect([json.statusCode, csv.statusCode]).toEqual([200, 200]);
      return { json: json.body, csv: csv.body };
    };
    const withoutGrant = await read();
    for (const body of [withoutGrant.json, withoutGrant.csv]) {
      expect(body).toContain('user.updated');
      for (const personal of ['secret-person@acme.test', '203.0.113.77', 'Ada Admin']) expect(body).not.toContain(personal);
    }

    const session = await signIn(deps, acme, admin);
    const granted = await app.inject({
      method: 'POST',
      url: '/api/v2/staff_access/grants.json',
      headers: session.headers,
      payload: { grant: { duration: 'day' } },
    });
    expect(granted.statusCode).toBe(201);
    const withGrant = await read();
    for (const body of [withGrant.json, withGrant.csv]) {
      expect(body).toContain('secret-person@acme.test');
      expect(body).toContain('Ada Admin');
    }
  });
});
