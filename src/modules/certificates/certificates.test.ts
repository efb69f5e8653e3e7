import { createPrivateKey } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../db/schema.js';
import type { FixedClock } from '../../platform/clock.js';
import { decryptSecretConfidential } from '../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { hostOf, insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import type { CertificateView } from './certificates.schema.js';
import { MAX_PENDING_CERTIFICATES, PRIVATE_KEY_LOCATION } from './certificates.service.js';
import { makeCertificateSet, type CertificateSet, type TestCertificate } from '../../../test/support/test-certificates.js';
import { IN_ORDER } from '../../../test/support/in-order.js';

/** Base64 lines of a PEM key: each one appearing somewhere is a leak. */
const keyLines = (pem: string): string[] => pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));

let certificates: CertificateSet;
beforeAll(() => {
  certificates = makeCertificateSet();
});
afterAll(() => certificates.workbench.dispose());

describe.each(backends)('certificates API on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let unmapped: Account;
  let acmeAdmin: User;
  let globexUser: User;
  let admin: TestSession;
  let globexAdmin: TestSession;
  let unmappedAdmin: TestSession;
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  });
  /** Every body the API answered in this suite, to search for leaks. */
  const answers: string[] = [];

  const call = async (
    session: TestSession | { headers: Record<string, string> },
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: Record<string, unknown>,
  ): Promise<LightMyRequestResponse> => {
    const response = await app.inject({ method, url, headers: session.headers, ...(payload === undefined ? {} : { payload }) });
    answers.push(response.body);
    return response;
  };
  const upload = (session: TestSession, certificatePem: string, privateKeyPem: string) =>
    call(session, 'POST', '/api/v2/certificates.json', {
      certificate: { certificate_pem: certificatePem, private_key_pem: privateKeyPem },
    });
  const uploadLeaf = async (leaf: TestCertificate, session = admin): Promise<CertificateView> => {
    const response = await upload(session, certificates.chainOf(leaf), leaf.keyPem);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ certificate: CertificateView }>().certificate;
  };
  const show = async (id: number, session = admin): Promise<CertificateView> =>
    (await call(session, 'GET', `/api/v2/certificates/${id}.json`)).json<{ certificate: CertificateView }>().certificate;
  const refusal = (response: LightMyRequestResponse) => {
    expect(response.statusCode, response.body).toBe(422);
    return response.json<{ error: string; description: string; details: { rule: string; field: string } & Record<string, unknown> }>();
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps, { config: { ...deps.config, logLevel: 'trace' }, logStream });
    acme = await insertAccount(database.db, 'acme', { host_mapping: 'help.acme.test' });
    globex = await insertAccount(database.db, 'globex', { host_mapping: 'help.globex.test' });
    unmapped = await insertAccount(database.db, 'unmapped');
    acmeAdmin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    admin = await signIn(deps, acme, acmeAdmin);
    globexUser = await insertUser(database.db, globex, 'admin@globex.test', { role: 'admin' });
    globexAdmin = await signIn(deps, globex, globexUser);
    unmappedAdmin = await signIn(deps, unmapped, await insertUser(database.db, unmapped, 'admin@unmapped.test', { role: 'admin' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('takes an RSA 2048 chain, pending, sealing its key and showing only public facts', async () => {
    const created = await uploadLeaf(certificates.rsaLeaf);
    expect(created).toEqual({
      id: expect.any(Number),
      // Resource URLs come from RIPOSTE_PUBLIC_URL (http://localhost:3000 in tests), never from the request.
      url: `http://acme.localhost:3000/api/v2/certificates/${created.id}.json`,
      state: 'pending',
      hostnames: ['help.acme.test'],
      subject: 'CN=help.acme.test',
      issuer: 'CN=Riposte Test Intermediate',
      serial_number: expect.any(String),
      not_before: '2025-01-01T00:00:00.000Z',
      not_after: '2035-01-01T00:00:00.000Z',
      fingerprint_sha256: certificates.rsaLeaf.fingerprint,
      key_algorithm: 'rsa',
      key_bits: 2048,
      key_curve: null,
      source: 'upload',
      uploaded_at: deps.clock.now().toISOString(),
      activated_at: null,
      superseded_at: null,
      superseded_by: null,
      revoked_at: null,
    });
    const row = await database.db.selectFrom('certificates').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    for (const line of keyLines(certificates.rsaLeaf.keyPem)) expect(JSON.stringify(row)).not.toContain(line);
    expect(row.certificate_pem).toBe(certificates.chainOf(certificates.rsaLeaf));
    const key = await decryptSecretConfidential(database.db, deps.keyring, {
      accountId: acme.id,
      ...PRIVATE_KEY_LOCATION,
      rowId: created.id,
      sealed: row.private_key_sealed,
    });
    expect(key).toBe(certificates.rsaLeaf.keyPem);

    const audit = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', acme.id)
      .where('action', '=', 'certificate.uploaded')
      .where('target_id', '=', String(created.id))
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.data ?? '{}')).toMatchObject({ fingerprint_sha256: certificates.rsaLeaf.fingerprint, via: 'session' });
  });

  it('takes an ECDSA P-256 wildcard, and lists and shows it', async () => {
    const created = await uploadLeaf(certificates.ecWildcard);
    expect(created).toMatchObject({ hostnames: ['*.acme.test'], key_algorithm: 'ec', key_bits: 256, key_curve: 'prime256v1' });
    expect(await show(created.id)).toEqual(created);
    const list = await call(admin, 'GET', '/api/v2/certificates.json');
    expect(list.statusCode).toBe(200);
    const body = list.json<{ certificates: CertificateView[]; count: number }>();
    expect(body.certificates.map((certificate) => certificate.id)).toContain(created.id);
    const page = await call(admin, 'GET', '/api/v2/certificates.json?page[size]=1');
    expect(page.json<{ certificates: unknown[]; meta: { has_more: boolean } }>()).toMatchObject({ meta: { has_more: true } });
  });

  it('refuses each broken pair with a 422 naming the rule and the field', async () => {
    const { chainOf, rsaLeaf, ecLeaf, intermediate, expired, notYetValid, weakRsa, weakCurve, otherHost } = certificates;
    const cases: Array<[string, string, string, string]> = [
      ['key_mismatch', chainOf(rsaLeaf), ecLeaf.keyPem, 'private_key_pem'],
      ['chain_order', `${intermediate.certificatePem}${rsaLeaf.certificatePem}`, rsaLeaf.keyPem, 'certificate_pem'],
      ['chain_order', `${rsaLeaf.certificatePem}${certificates.root.certificatePem}`, rsaLeaf.keyPem, 'certificate_pem'],
      ['expired', chainOf(expired), expired.keyPem, 'certificate_pem'],
      ['not_yet_valid', chainOf(notYetValid), notYetValid.keyPem, 'certificate_pem'],
      ['weak_key', chainOf(weakRsa), weakRsa.keyPem, 'private_key_pem'],
      ['weak_key', chainOf(weakCurve), weakCurve.keyPem, 'private_key_pem'],
      ['hostname_mismatch', chainOf(otherHost), otherHost.keyPem, 'certificate_pem'],
      ['unparseable', 'not a certificate', rsaLeaf.keyPem, 'certificate_pem'],
      ['unparseable', chainOf(rsaLeaf), 'not a key', 'private_key_pem'],
      ['unparseable', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', rsaLeaf.keyPem, 'certificate_pem'],
      ['unparseable', rsaLeaf.keyPem, rsaLeaf.keyPem, 'certificate_pem'],
      ['too_large', `${chainOf(rsaLeaf)}${'x'.repeat(70_000)}`, rsaLeaf.keyPem, 'certificate_pem'],
      ['too_large', chainOf(rsaLeaf), `${rsaLeaf.keyPem}${'A'.repeat(20_000)}`, 'private_key_pem'],
    ];
    for (const [rule, chain, key, field] of cases) {
      const body = refusal(await upload(admin, chain, key));
      expect(body, rule).toMatchObject({ error: 'CertificateInvalid', details: { rule, field } });
      expect(body.description.length).toBeGreaterThan(20);
    }
    const hostname = refusal(await upload(admin, chainOf(otherHost), otherHost.keyPem));
    expect(hostname.details).toMatchObject({ hostnames: ['www.acme.test'], mapped_domain: 'help.acme.test' });
    const weak = refusal(await upload(admin, chainOf(weakRsa), weakRsa.keyPem));
    expect(weak.details).toMatchObject({ key_algorithm: 'rsa', key_bits: 1024 });
    // No mapped domain: nothing can be served, so nothing is taken.
    const unmappedRefusal = refusal(await upload(unmappedAdmin, chainOf(rsaLeaf), rsaLeaf.keyPem));
    expect(unmappedRefusal.details).toMatchObject({ rule: 'hostname_mismatch', mapped_domain: null });
    expect(await database.db.selectFrom('certificates').select('id').where('account_id', '=', unmapped.id).execute()).toHaveLength(0);
  });

  it('answers garbage, binary and wrongly typed input with a 4xx, never a 500', async () => {
    const garbage = [
      '\u0000\u0001\u0002',
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----',
      `-----BEGIN CERTIFICATE-----\n${Buffer.alloc(3000, 0xff).toString('base64')}\n-----END CERTIFICATE-----`,
      '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----',
      '😀'.repeat(1000),
    ];
    for (const chain of garbage) {
      const response = await upload(admin, chain, certificates.rsaLeaf.keyPem);
      // A NUL is refused for every route before any module reads the body (platform/http/nul-refusal.ts).
      expect(response.statusCode, chain.slice(0, 30)).toBe(chain.includes('\u0000') ? 400 : 422);
    }
    const encryptedKey = createPrivateKey(certificates.rsaLeaf.keyPem).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    }) as string;
    const encrypted = refusal(await upload(admin, certificates.chainOf(certificates.rsaLeaf), encryptedKey));
    expect(encrypted.description).toContain('encrypted');
    for (const payload of [{}, { certificate: {} }, { certificate: { certificate_pem: 1, private_key_pem: [] } }, { certificate: 'x' }]) {
      const response = await call(admin, 'POST', '/api/v2/certificates.json', payload);
      expect(response.statusCode).toBe(400);
    }
    const huge = await call(admin, 'POST', '/api/v2/certificates.json', {
      certificate: { certificate_pem: 'x'.repeat(2 * 1024 * 1024), private_key_pem: 'y' },
    });
    expect(huge.statusCode).toBe(413);
    for (const id of ['abc', '1e400', '-1', '99999999999999999999', "1' OR '1'='1"]) {
      const response = await call(admin, 'GET', `/api/v2/certificates/${encodeURIComponent(id)}.json`);
      expect(response.statusCode).toBe(400);
    }
  });

  it('refuses the same certificate twice while the first is not revoked', async () => {
    const first = await uploadLeaf(certificates.ecLeaf);
    const again = await upload(admin, certificates.chainOf(certificates.ecLeaf), certificates.ecLeaf.keyPem);
    expect(again.statusCode).toBe(422);
    expect(again.json<{ description: string }>().description).toContain(`certificate ${first.id}`);
  });

  it('activates a certificate, superseding the active one it covers, and revokes', async () => {
    const rsa = (await call(admin, 'GET', '/api/v2/certificates.json'))
      .json<{ certificates: CertificateView[] }>()
      .certificates.find((certificate) => certificate.fingerprint_sha256 === certificates.rsaLeaf.fingerprint);
    if (rsa === undefined) throw new Error('the RSA certificate is missing');
    const activated = await call(admin, 'PUT', `/api/v2/certificates/${rsa.id}/activate.json`);
    expect(activated.statusCode, activated.body).toBe(200);
    expect(activated.json<{ certificate: CertificateView }>().certificate).toMatchObject({
      state: 'active',
      activated_at: deps.clock.now().toISOString(),
    });
    // Activating again changes nothing.
    expect((await call(admin, 'PUT', `/api/v2/certificates/${rsa.id}/activate.json`)).statusCode).toBe(200);

    deps.clock.advance(60_000);
    const wildcard = (await call(admin, 'GET', '/api/v2/certificates.json'))
      .json<{ certificates: CertificateView[] }>()
      .certificates.find((certificate) => certificate.hostnames.includes('*.acme.test'));
    if (wildcard === undefined) throw new Error('the wildcard certificate is missing');
    expect((await call(admin, 'PUT', `/api/v2/certificates/${wildcard.id}/activate.json`)).statusCode).toBe(200);
    expect(await show(rsa.id)).toMatchObject({
      state: 'superseded',
      superseded_by: wildcard.id,
      superseded_at: deps.clock.now().toISOString(),
    });
    expect(await show(wildcard.id)).toMatchObject({ state: 'active' });

    const revoked = await call(admin, 'PUT', `/api/v2/certificates/${wildcard.id}/revoke.json`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json<{ certificate: CertificateView }>().certificate).toMatchObject({
      state: 'revoked',
      revoked_at: deps.clock.now().toISOString(),
    });
    expect((await call(admin, 'PUT', `/api/v2/certificates/${wildcard.id}/revoke.json`)).statusCode).toBe(200);
    const again = await call(admin, 'PUT', `/api/v2/certificates/${wildcard.id}/activate.json`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'CertificateStateConflict' });

    const actions = await database.db
      .selectFrom('audit_events')
      .select(['action', 'target_id'])
      .where('account_id', '=', acme.id)
      .where('action', 'in', ['certificate.activated', 'certificate.superseded', 'certificate.revoked'])
      .orderBy('seq')
      .execute();
    expect(actions).toEqual([
      { action: 'certificate.activated', target_id: String(rsa.id) },
      { action: 'certificate.activated', target_id: String(wildcard.id) },
      { action: 'certificate.superseded', target_id: String(rsa.id) },
      { action: 'certificate.revoked', target_id: String(wildcard.id) },
    ]);
  });

  it('shows an expired certificate as expired and refuses to activate it', async () => {
    const created = await uploadLeaf(certificates.globexLeaf, globexAdmin);
    deps.clock.set('2035-06-01T00:00:00.000Z');
    try {
      const later = await signIn(deps, globex, globexUser);
      expect(await show(created.id, later)).toMatchObject({ state: 'expired' });
      const response = refusal(await call(later, 'PUT', `/api/v2/certificates/${created.id}/activate.json`));
      expect(response.details).toMatchObject({ rule: 'expired' });
    } finally {
      deps.clock.set('2026-06-01T12:00:00.000Z');
    }
  });

  it('refuses to activate when the mapped domain moved since the upload', async () => {
    const mover = await insertAccount(database.db, 'mover', { host_mapping: 'www.acme.test' });
    const moverAdmin = await signIn(deps, mover, await insertUser(database.db, mover, 'admin@mover.test', { role: 'admin' }));
    const created = await uploadLeaf(certificates.otherHost, moverAdmin);
    await database.db.updateTable('accounts').set({ host_mapping: 'help.mover.test' }).where('id', '=', mover.id).execute();
    const response = refusal(await call(moverAdmin, 'PUT', `/api/v2/certificates/${created.id}/activate.json`));
    expect(response.details).toMatchObject({ rule: 'hostname_mismatch', mapped_domain: 'help.mover.test' });
  });

  it("keeps each account's certificates to itself", async () => {
    const acmeList = (await call(admin, 'GET', '/api/v2/certificates.json')).json<{ certificates: CertificateView[] }>().certificates;
    const acmeId = acmeList[0]?.id ?? 0;
    expect(acmeId).toBeGreaterThan(0);
    const globexList = (await call(globexAdmin, 'GET', '/api/v2/certificates.json')).json<{ certificates: CertificateView[] }>()
      .certificates;
    expect(globexList.map((certificate) => certificate.id)).not.toContain(acmeId);
    for (const [method, url] of [
      ['GET', `/api/v2/certificates/${acmeId}.json`],
      ['PUT', `/api/v2/certificates/${acmeId}/activate.json`],
      ['PUT', `/api/v2/certificates/${acmeId}/revoke.json`],
    ] as const) {
      const response = await call(globexAdmin, method, url);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toMatchObject({ error: 'RecordNotFound' });
    }
    // Globex's session on acme's host is no session at all.
    const crossHost = await app.inject({ url: '/api/v2/certificates.json', headers: { ...globexAdmin.headers, host: hostOf(acme) } });
    expect(crossHost.statusCode).toBe(401);
    expect(await show(acmeId)).toMatchObject({ id: acmeId });
  });

  it('refuses agents, end users, anonymous callers and writes without the CSRF token', async () => {
    const acmeId = (await call(admin, 'GET', '/api/v2/certificates.json')).json<{ certificates: CertificateView[] }>().certificates[0]?.id;
    const agent = await signIn(deps, acme, await insertUser(database.db, acme, 'agent@acme.test'));
    const endUser = await signIn(deps, acme, await insertUser(database.db, acme, 'customer@acme.test', { role: 'end-user' }));
    const routes = [
      ['GET', '/api/v2/certificates.json'],
      ['GET', `/api/v2/certificates/${acmeId}.json`],
      ['PUT', `/api/v2/certificates/${acmeId}/activate.json`],
      ['PUT', `/api/v2/certificates/${acmeId}/revoke.json`],
    ] as const;
    for (const session of [agent, endUser]) {
      for (const [method, url] of routes) expect((await call(session, method, url)).statusCode, `${method} ${url}`).toBe(403);
      const posted = await upload(session, certificates.chainOf(certificates.ecLeaf), certificates.ecLeaf.keyPem);
      expect(posted.statusCode).toBe(403);
    }
    for (const [method, url] of routes) expect((await call({ headers: { host: hostOf(acme) } }, method, url)).statusCode).toBe(401);
    const noCsrf = { headers: { host: admin.headers.host, cookie: admin.headers.cookie } };
    expect((await call(noCsrf, 'PUT', `/api/v2/certificates/${acmeId}/revoke.json`)).statusCode).toBe(403);
    expect((await show(acmeId ?? 0)).state).not.toBe('revoked');
  });

  it('works with an API token where the Host names no account, as curl would call it', async () => {
    const created = await call(admin, 'POST', '/api/v2/api_tokens.json', { api_token: { description: 'certificate rotation' } });
    const token = created.json<{ api_token: { token: string } }>().api_token.token;
    const authorization = `Basic ${Buffer.from(`admin@acme.test/token:${token}`).toString('base64')}`;
    const list = await call({ headers: { host: '127.0.0.1:3000', authorization } }, 'GET', '/api/v2/certificates.json');
    expect(list.statusCode).toBe(200);
    expect(list.json<{ certificates: CertificateView[] }>().certificates.length).toBeGreaterThan(0);
  });

  it('caps the certificates waiting for activation', async () => {
    const capped = await insertAccount(database.db, 'capped', { host_mapping: 'help.acme.test.invalid' });
    const cappedAdmin = await signIn(deps, capped, await insertUser(database.db, capped, 'admin@capped.test', { role: 'admin' }));
    const { workbench, intermediate } = certificates;
    const key = certificates.ecLeaf.keyPem;
    for (let index = 0; index < MAX_PENDING_CERTIFICATES; index += 1) {
      const leaf = workbench.issue({ commonName: 'help.acme.test.invalid', key, issuer: intermediate });
      expect((await upload(cappedAdmin, certificates.chainOf(leaf), key)).statusCode).toBe(201);
    }
    const leaf = workbench.issue({ commonName: 'help.acme.test.invalid', key, issuer: intermediate });
    const refused = await upload(cappedAdmin, certificates.chainOf(leaf), key);
    expect(refused.statusCode).toBe(422);
    expect(refused.json<{ description: string }>().description).toContain('waiting for activation');
  });

  it('never returns or logs a private key', () => {
    const everything = `${answers.join('\n')}\n${logLines.join('\n')}`;
    expect(logLines.length).toBeGreaterThan(0);
    const { rsaLeaf, ecLeaf, ecWildcard, globexLeaf, weakRsa, expired, otherHost } = certificates;
    for (const leaf of [rsaLeaf, ecLeaf, ecWildcard, globexLeaf, weakRsa, expired, otherHost]) {
      for (const line of keyLines(leaf.keyPem)) expect(everything).not.toContain(line);
    }
    expect(everything).not.toContain('PRIVATE KEY-----\n');
  });
});
