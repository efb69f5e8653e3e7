import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../db/database.js';
import type { Account } from '../../db/schema.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, postgresAvailable, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import type { CertificateView } from './certificates.schema.js';
import { defaultCertificateDir } from './default-certificate.js';
import { startHttpsServer, type HttpsDeps, type RunningHttpsServer } from './https-server.js';
import { runOpenssl } from './openssl.js';
import { makeCertificateSet, type CertificateSet, type TestCertificate } from '../../../test/support/test-certificates.js';
import { IN_ORDER } from '../../../test/support/in-order.js';

const MAPPED = 'help.acme.test';

let certificates: CertificateSet;
beforeAll(() => {
  certificates = makeCertificateSet();
});
afterAll(() => certificates.workbench.dispose());

/** The fingerprint of the certificate a real TLS handshake gets, through Node's client. */
function nodeHandshake(port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) },
      () => {
        const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
        socket.end();
        resolve(fingerprint);
      },
    );
    socket.once('error', reject);
  });
}

/** The same through `openssl s_client`, the served certificate read back by `openssl x509`. */
async function opensslHandshake(port: number, servername?: string, extra: string[] = []): Promise<{ fingerprint: string; output: string }> {
  const sni = servername === undefined ? ['-noservername'] : ['-servername', servername];
  const output = await runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, ...sni, ...extra], { input: '' });
  const printed = await runOpenssl(['x509', '-noout', '-fingerprint', '-sha256'], { input: output });
  const fingerprint = /Fingerprint=([0-9A-F:]+)/.exec(printed)?.[1] ?? '';
  return { fingerprint, output };
}

const httpsDeps = (deps: ServiceDeps, database: TestDatabase): HttpsDeps => ({
  ...deps,
  config: { httpsPort: 0, host: '127.0.0.1', dataDir: database.dataDir, baseDomain: 'localhost' },
});

describe.each(backends)('HTTPS with SNI on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let server: RunningHttpsServer;
  let acme: Account;
  let admin: TestSession;
  let defaultFingerprint: string;
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  });

  const uploadAndActivate = async (leaf: TestCertificate): Promise<CertificateView> => {
    const uploaded = await app.inject({
      method: 'POST',
      url: '/api/v2/certificates.json',
      headers: admin.headers,
      payload: { certificate: { certificate_pem: certificates.chainOf(leaf), private_key_pem: leaf.keyPem } },
    });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const { id } = uploaded.json<{ certificate: CertificateView }>().certificate;
    const activated = await app.inject({ method: 'PUT', url: `/api/v2/certificates/${id}/activate.json`, headers: admin.headers });
    expect(activated.statusCode, activated.body).toBe(200);
    return activated.json<{ certificate: CertificateView }>().certificate;
  };
  const revoke = async (id: number): Promise<void> => {
    const response = await app.inject({ method: 'PUT', url: `/api/v2/certificates/${id}/revoke.json`, headers: admin.headers });
    expect(response.statusCode, response.body).toBe(200);
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps, { config: { ...deps.config, logLevel: 'info' }, logStream });
    acme = await insertAccount(database.db, 'acme', { host_mapping: MAPPED });
    admin = await signIn(deps, acme, await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' }));
    server = await startHttpsServer(httpsDeps(deps, database), app);
    defaultFingerprint = server.certificates.defaultServed.fingerprintSha256;
  });
  afterAll(async () => {
    await server.close();
    await app.close();
    await database.dispose();
  });

  it('makes a self-signed default certificate on first start, its key file readable by the owner only', async () => {
    const dir = defaultCertificateDir(database.dataDir);
    const keyFile = path.join(dir, 'private-key.pem');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'certificate.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    const subject = await runOpenssl(['x509', '-noout', '-subject', '-ext', 'subjectAltName', '-in', path.join(dir, 'certificate.pem')]);
    expect(subject).toContain('CN = localhost');
    expect(subject).toContain('DNS:*.localhost');
    // A second start reads it rather than making another.
    const again = await startHttpsServer(httpsDeps(deps, database), app);
    try {
      expect(again.certificates.defaultServed.fingerprintSha256).toBe(defaultFingerprint);
      expect(await nodeHandshake(again.port, 'acme.localhost')).toBe(defaultFingerprint);
    } finally {
      await again.close();
    }
  });

  it('serves the default certificate without SNI, to subdomains and to unknown names', async () => {
    expect(await nodeHandshake(server.port)).toBe(defaultFingerprint);
    expect(await nodeHandshake(server.port, 'acme.localhost')).toBe(defaultFingerprint);
    expect(await nodeHandshake(server.port, 'unknown.example')).toBe(defaultFingerprint);
    expect(await nodeHandshake(server.port, MAPPED)).toBe(defaultFingerprint);
    expect((await opensslHandshake(server.port)).fingerprint).toBe(defaultFingerprint);
  });

  it('serves the active certificate to its mapped domain from the moment it is activated, by Node and by openssl', async () => {
    const rsa = await uploadAndActivate(certificates.rsaLeaf);
    expect(await nodeHandshake(server.port, MAPPED)).toBe(certificates.rsaLeaf.fingerprint);
    expect((await opensslHandshake(server.port, MAPPED)).fingerprint).toBe(certificates.rsaLeaf.fingerprint);
    // The chain served verifies against the customer's root, for the mapped name.
    const rootFile = path.join(certificates.workbench.dir, 'root.pem');
    fs.writeFileSync(rootFile, certificates.root.certificatePem);
    const verified = await opensslHandshake(server.port, MAPPED, ['-CAfile', rootFile, '-verify_hostname', MAPPED, '-verify_return_error']);
    expect(verified.output).toContain('Verify return code: 0 (ok)');
    // Other names still get the default.
    expect(await nodeHandshake(server.port, 'acme.localhost')).toBe(defaultFingerprint);
    expect(rsa.state).toBe('active');
  });

  it('switches to a newly activated certificate, and back to the default when it is revoked', async () => {
    const ec = await uploadAndActivate(certificates.ecLeaf);
    expect(await nodeHandshake(server.port, MAPPED)).toBe(certificates.ecLeaf.fingerprint);
    expect((await opensslHandshake(server.port, MAPPED)).fingerprint).toBe(certificates.ecLeaf.fingerprint);
    await revoke(ec.id);
    // The RSA certificate was superseded, not kept in reserve: the default answers.
    expect(await nodeHandshake(server.port, MAPPED)).toBe(defaultFingerprint);
    expect((await opensslHandshake(server.port, MAPPED)).fingerprint).toBe(defaultFingerprint);
  });

  it('answers HTTPS with the same application, which knows the request came over TLS', async () => {
    const wildcard = await uploadAndActivate(certificates.ecWildcard);
    const body = await new Promise<string>((resolve, reject) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port: server.port,
          servername: MAPPED,
          path: '/api/v2/certificates.json',
          headers: { host: MAPPED, cookie: admin.cookie },
          rejectUnauthorized: false,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve(`${response.statusCode} ${text}`));
        },
      );
      request.once('error', reject);
      request.end();
    });
    expect(body.startsWith('200 ')).toBe(true);
    // Links name the mapped domain from the database, with the scheme and port of RIPOSTE_PUBLIC_URL (http://localhost:3000 here).
    expect(body).toContain(`"url":"http://${MAPPED}:3000/api/v2/certificates/${wildcard.id}.json"`);
    expect(await nodeHandshake(server.port, MAPPED)).toBe(certificates.ecWildcard.fingerprint);
  });

  it('closes on a client that speaks no TLS, and keeps serving', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port }, () =>
        socket.write('GET / HTTP/1.1\r\nHost: help.acme.test\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(text));
    });
    expect(answer).not.toContain('200 OK');
    expect(await nodeHandshake(server.port, 'acme.localhost')).toBe(defaultFingerprint);
  });

  it('serves the default, and logs no key, when a sealed key was moved to another certificate', async () => {
    const rows = await database.db.selectFrom('certificates').select(['id', 'private_key_sealed', 'state']).orderBy('id').execute();
    const active = rows.find((row) => row.state === 'active');
    const other = rows.find((row) => row.state !== 'active');
    if (active === undefined || other === undefined) throw new Error('expected an active certificate and another');
    await database.db
      .updateTable('certificates')
      .set({ private_key_sealed: other.private_key_sealed })
      .where('id', '=', active.id)
      .execute();
    server.certificates.invalidate();
    expect(await nodeHandshake(server.port, MAPPED)).toBe(defaultFingerprint);
    const logged = logLines.join('\n');
    expect(logged).toContain('an active certificate cannot be served');
    for (const leaf of [certificates.rsaLeaf, certificates.ecLeaf, certificates.ecWildcard]) {
      for (const line of leaf.keyPem.split('\n').filter((l) => l.length > 40)) expect(logged).not.toContain(line);
    }
  });
});

describe.runIf(postgresAvailable())(
  'HTTPS across two server processes on one PostgreSQL, in order: each test builds on the ones before',
  IN_ORDER,
  () => {
    let database: TestDatabase;
    let depsA: ServiceDeps & { clock: FixedClock };
    let appA: FastifyInstance;
    let serverA: RunningHttpsServer;
    let handleB: DatabaseHandle;
    let appB: FastifyInstance;
    let serverB: RunningHttpsServer;
    let admin: TestSession;

    beforeAll(async () => {
      database = await openTestDatabase('postgres');
      depsA = testDeps(database);
      appA = await buildTestApp(depsA);
      serverA = await startHttpsServer(httpsDeps(depsA, database), appA);
      // Process B: its own pool, its own cache, the same database and keys; it learns of changes only by polling.
      handleB = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, poolSize: 2 });
      const depsB = { ...depsA, db: handleB.db, handle: handleB };
      appB = await buildTestApp(depsB);
      serverB = await startHttpsServer(httpsDeps(depsB, database), appB, { pollIntervalMs: 50 });
      const acme = await insertAccount(database.db, 'acme', { host_mapping: MAPPED });
      admin = await signIn(depsA, acme, await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' }));
    });
    afterAll(async () => {
      await serverB.close();
      await appB.close();
      await handleB.close();
      await serverA.close();
      await appA.close();
      await database.dispose();
    });

    it('sees an activation and a revocation made by the other process, without a restart', async () => {
      const defaultFingerprint = serverB.certificates.defaultServed.fingerprintSha256;
      expect(serverA.certificates.defaultServed.fingerprintSha256).toBe(defaultFingerprint);
      // B looks the name up once and caches the answer (for a minute, were it not for the marker).
      expect(await nodeHandshake(serverB.port, MAPPED)).toBe(defaultFingerprint);

      const uploaded = await appA.inject({
        method: 'POST',
        url: '/api/v2/certificates.json',
        headers: admin.headers,
        payload: {
          certificate: { certificate_pem: certificates.chainOf(certificates.ecLeaf), private_key_pem: certificates.ecLeaf.keyPem },
        },
      });
      const { id } = uploaded.json<{ certificate: CertificateView }>().certificate;
      const activationSeen = serverB.certificates.nextInvalidation();
      expect(
        (await appA.inject({ method: 'PUT', url: `/api/v2/certificates/${id}/activate.json`, headers: admin.headers })).statusCode,
      ).toBe(200);
      await activationSeen;
      expect(await nodeHandshake(serverB.port, MAPPED)).toBe(certificates.ecLeaf.fingerprint);
      expect((await opensslHandshake(serverB.port, MAPPED)).fingerprint).toBe(certificates.ecLeaf.fingerprint);

      const revocationSeen = serverB.certificates.nextInvalidation();
      expect((await appA.inject({ method: 'PUT', url: `/api/v2/certificates/${id}/revoke.json`, headers: admin.headers })).statusCode).toBe(
        200,
      );
      await revocationSeen;
      expect(await nodeHandshake(serverB.port, MAPPED)).toBe(defaultFingerprint);
      expect((await opensslHandshake(serverB.port, MAPPED)).fingerprint).toBe(defaultFingerprint);
    });
  },
);
