import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../../db/schema.js';
import type { FixedClock } from '../../../platform/clock.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { hostOf, insertUser, signIn, type TestSession } from '../../../../test/support/identity-fixtures.js';
import { generateKeyPair } from '../../../../test/support/sso-fixtures.js';
import { IN_ORDER } from '../../../../test/support/in-order.js';

const SECRET = 'super-secret-shared-key-0123456789-ABCDEFGHIJ';
const idpKeys = generateKeyPair('idp.config.test');

describe.each(backends)('SSO configuration on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let acmeAdmin: TestSession;
  let globexAdmin: TestSession;
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  });

  const sessionOf = async (account: Account, role: User['role']): Promise<TestSession> =>
    signIn(deps, account, await insertUser(database.db, account, `${role}-${account.subdomain}@example.test`, { role }));

  const read = (account: Account, session: TestSession | null) =>
    app.inject({
      method: 'GET',
      url: '/api/v2/account/sso.json',
      headers: { host: hostOf(account), ...(session === null ? {} : { cookie: session.cookie }) },
    });

  const write = (account: Account, session: TestSession, sso: Record<string, unknown>, csrf = true) =>
    app.inject({
      method: 'PUT',
      url: '/api/v2/account/sso.json',
      headers: { host: hostOf(account), cookie: session.cookie, ...(csrf ? { 'x-csrf-token': session.csrfToken } : {}) },
      payload: { sso },
    });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    // SP URLs come from RIPOSTE_PUBLIC_URL: here the accounts' pages are http://{subdomain}.localhost.
    app = await buildTestApp(deps, { config: { ...deps.config, logLevel: 'info', publicUrl: 'http://localhost' }, logStream });
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    acmeAdmin = await sessionOf(acme, 'admin');
    globexAdmin = await sessionOf(globex, 'admin');
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('shows a disabled default, with the SP endpoints to give the identity provider', async () => {
    const response = await read(acme, acmeAdmin);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      sso: {
        jwt: { enabled: false, shared_secret_set: false, shared_secret_set_at: null, remote_login_url: null },
        saml: {
          enabled: false,
          idp_sso_url: null,
          idp_entity_id: null,
          idp_certificate: null,
          idp_certificate_fingerprint: null,
          idp_certificate_expires_at: null,
          configured_at: null,
          sp_entity_id: `http://${hostOf(acme)}/access/saml/metadata`,
          sp_acs_url: `http://${hostOf(acme)}/access/saml`,
        },
        updated_at: null,
      },
    });
  });

  it('stores the shared secret sealed, never returns or logs it, and audits the change without it', async () => {
    const response = await write(acme, acmeAdmin, {
      jwt: { enabled: true, shared_secret: SECRET, remote_login_url: 'https://idp.acme.test/login' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(SECRET);
    expect(response.json()).toMatchObject({
      sso: {
        jwt: {
          enabled: true,
          shared_secret_set: true,
          shared_secret_set_at: deps.clock.now().toISOString(),
          remote_login_url: 'https://idp.acme.test/login',
        },
      },
    });

    const reread = await read(acme, acmeAdmin);
    expect(reread.body).not.toContain(SECRET);
    expect(reread.json()).toMatchObject({ sso: { jwt: { shared_secret_set: true } } });

    const row = await database.db.selectFrom('sso_configs').selectAll().where('account_id', '=', acme.id).executeTakeFirstOrThrow();
    expect(row.jwt_secret_sealed).toMatch(/^v2\./);
    expect(JSON.stringify(row)).not.toContain(SECRET);

    const events = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', acme.id)
      .where('action', '=', 'sso_config.updated')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]?.data).not.toContain(SECRET);
    expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({
      changes: { 'jwt.enabled': true, 'jwt.shared_secret': 'set' },
      jwt_enabled: true,
    });
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it('keeps fields that a PUT leaves out, and keeps the secret when only other fields change', async () => {
    deps.clock.advance(60_000);
    const response = await write(acme, acmeAdmin, { jwt: { remote_login_url: null } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      sso: { jwt: { enabled: true, shared_secret_set: true, remote_login_url: null }, updated_at: deps.clock.now().toISOString() },
    });
    expect(response.json<{ sso: { jwt: { shared_secret_set_at: string } } }>().sso.jwt.shared_secret_set_at).not.toBe(
      deps.clock.now().toISOString(),
    );
  });

  it('validates and stores the IdP certificate, and refuses what is not one', async () => {
    const saml = {
      enabled: true,
      idp_sso_url: 'https://idp.acme.test/saml',
      idp_entity_id: 'https://idp.acme.test',
      idp_certificate: idpKeys.certificate,
    };
    const saved = await write(acme, acmeAdmin, { saml });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({
      sso: {
        saml: {
          enabled: true,
          idp_sso_url: 'https://idp.acme.test/saml',
          idp_certificate: expect.stringContaining('BEGIN CERTIFICATE'),
          idp_certificate_fingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
        },
      },
    });

    const garbage = await write(acme, acmeAdmin, {
      saml: { idp_certificate: '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----' },
    });
    expect(garbage.statusCode).toBe(422);
    expect(garbage.json()).toMatchObject({ error: 'RecordInvalid', details: { 'saml.idp_certificate': expect.any(Array) } });

    const plainHttp = await write(acme, acmeAdmin, { saml: { idp_sso_url: 'http://idp.acme.test/saml' } });
    expect(plainHttp.statusCode).toBe(422);
  });

  it('refuses to enable a method that lacks what it needs', async () => {
    const jwtWithoutSecret = await write(globex, globexAdmin, { jwt: { enabled: true } });
    expect(jwtWithoutSecret.statusCode).toBe(422);
    expect(jwtWithoutSecret.json()).toMatchObject({ details: { 'jwt.shared_secret': expect.any(Array) } });
    const samlWithoutCertificate = await write(globex, globexAdmin, {
      saml: { enabled: true, idp_sso_url: 'https://idp.globex.test/saml' },
    });
    expect(samlWithoutCertificate.statusCode).toBe(422);
    expect(samlWithoutCertificate.json()).toMatchObject({ details: { 'saml.idp_certificate': expect.any(Array) } });
    const shortSecret = await write(globex, globexAdmin, { jwt: { shared_secret: 'short' } });
    expect(shortSecret.statusCode).toBe(400);
    expect(shortSecret.body).not.toContain('short"');
  });

  it('is for admins only: agents and end users are refused, anonymous callers are asked to sign in', async () => {
    const agent = await sessionOf(acme, 'agent');
    const endUser = await sessionOf(acme, 'end-user');
    for (const session of [agent, endUser]) {
      const reading = await read(acme, session);
      expect(reading.statusCode).toBe(403);
      expect(reading.body).not.toContain('sealed');
      expect((await write(acme, session, { jwt: { enabled: false } })).statusCode).toBe(403);
    }
    expect((await read(acme, null)).statusCode).toBe(401);
  });

  it('refuses a cookie write without its CSRF token', async () => {
    const response = await write(acme, acmeAdmin, { jwt: { enabled: false } }, false);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: 'InvalidCsrfToken' });
  });

  it("keeps accounts apart: Globex's admin sees only Globex's configuration and cannot reach Acme's", async () => {
    const own = await read(globex, globexAdmin);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({
      sso: {
        jwt: { shared_secret_set: false },
        saml: { idp_certificate: null, sp_entity_id: `http://${hostOf(globex)}/access/saml/metadata` },
      },
    });
    // Globex's session is no credential at Acme's host.
    expect((await read(acme, globexAdmin)).statusCode).toBe(401);
    expect((await write(acme, globexAdmin, { jwt: { enabled: false } })).statusCode).toBe(401);
    const acmeRow = await database.db.selectFrom('sso_configs').selectAll().where('account_id', '=', acme.id).executeTakeFirstOrThrow();
    expect(acmeRow.jwt_enabled).toBe(1);
  });

  it('removes the secret only together with disabling JWT', async () => {
    expect((await write(acme, acmeAdmin, { jwt: { shared_secret: null } })).statusCode).toBe(422);
    const removed = await write(acme, acmeAdmin, { jwt: { enabled: false, shared_secret: null } });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ sso: { jwt: { enabled: false, shared_secret_set: false, shared_secret_set_at: null } } });
  });
});
