/**
 * Every documented route under /api/v2, swept for tenant isolation and the
 * obvious attacks: no credential, account A's credentials on account B's
 * host, and account B's admin addressing account A's records by id.
 * A route added without an entry in RECORD_OF fails this test until one is
 * given, so no route escapes the sweep.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { makeCertificateSet, type CertificateSet } from '../support/test-certificates.js';
import { insertAccount } from '../support/fixtures.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
interface Operation {
  method: Method;
  path: string;
}

/** Which of account A's records stands in for `{id}` in each templated path. */
const RECORD_OF: Record<
  string,
  | 'user'
  | 'apiToken'
  | 'oauthClient'
  | 'oauthToken'
  | 'session'
  | 'installation'
  | 'certificate'
  | 'incident'
  | 'staffAccessGrant'
  | 'deletedUser'
  | 'webhook'
> = {
  '/api/v2/security/webhooks/{id}': 'webhook',
  '/api/v2/deleted_users/{id}': 'deletedUser',
  '/api/v2/staff_access/grants/{id}': 'staffAccessGrant',
  '/api/v2/security/incidents/{id}/evidence': 'incident',
  '/api/v2/security/incidents/{id}/affected_users': 'incident',
  '/api/v2/security/incidents/{id}/affected_users.csv': 'incident',
  '/api/v2/security/incidents/{id}/affected_users/counts': 'incident',
  '/api/v2/security/incidents/{id}/rotation_targets': 'incident',
  '/api/v2/security/incidents/{id}/rotation_targets.csv': 'incident',
  '/api/v2/certificates/{id}': 'certificate',
  '/api/v2/certificates/{id}/activate': 'certificate',
  '/api/v2/certificates/{id}/revoke': 'certificate',
  '/api/v2/apps/installations/{id}': 'installation',
  '/api/v2/users/{id}': 'user',
  '/api/v2/users/{id}/password': 'user',
  '/api/v2/users/me/sessions/{id}': 'session',
  '/api/v2/api_tokens/{id}': 'apiToken',
  '/api/v2/oauth/clients/{id}': 'oauthClient',
  '/api/v2/oauth/clients/{id}/generate_secret': 'oauthClient',
  '/api/v2/oauth/tokens/{id}': 'oauthToken',
};

/**
 * Public by design, outside every account: anyone reads a published advisory
 * (drafts are 404). advisories-public.routes.test.ts covers them.
 */
const PUBLIC_PATHS = new Set(['/api/v2/help_center/{locale}/articles/{id}']);

const BODY: Partial<Record<Method, object>> = { POST: {}, PUT: {} };

let certificates: CertificateSet;
beforeAll(() => {
  certificates = makeCertificateSet();
});
afterAll(() => certificates.workbench.dispose());

describe.each(backends)('tenant isolation of every API route on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let acme: Account;
  let globex: Account;
  let acmeAdmin: User;
  let acmeSession: TestSession;
  let globexSession: TestSession;
  let acmeToken: string;
  const acmeRecords: Record<string, number> = {};
  let operations: Operation[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const deps = testDeps(database);
    app = await buildTestApp(deps);
    acme = await insertAccount(database.db, 'acme', { host_mapping: 'help.acme.test' });
    globex = await insertAccount(database.db, 'globex');
    acmeAdmin = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' });
    const globexAdmin = await insertUser(database.db, globex, 'gil@globex.test', { role: 'admin' });
    acmeSession = await signIn(deps, acme, acmeAdmin);
    globexSession = await signIn(deps, globex, globexAdmin);
    acmeRecords.user = acmeAdmin.id;
    acmeRecords.session =
      (await signIn(deps, acme, acmeAdmin)) &&
      Number((await database.db.selectFrom('sessions').select('id').where('account_id', '=', acme.id).executeTakeFirstOrThrow()).id);

    const token = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens',
      headers: acmeSession.headers,
      payload: { api_token: { description: 'sweep' } },
    });
    acmeToken = token.json<{ api_token: { token: string; id: number } }>().api_token.token;
    acmeRecords.apiToken = token.json<{ api_token: { id: number } }>().api_token.id;
    const client = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients',
      headers: acmeSession.headers,
      payload: { client: { name: 'Sweep', identifier: 'sweep', redirect_uri: ['https://app.test/cb'], kind: 'confidential' } },
    });
    acmeRecords.oauthClient = client.json<{ client: { id: number } }>().client.id;
    const oauthToken = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/tokens',
      headers: acmeSession.headers,
      payload: { token: { client_id: acmeRecords.oauthClient, user_id: acmeAdmin.id, scopes: ['read', 'write'] } },
    });
    acmeRecords.oauthToken = oauthToken.json<{ token: { id: number } }>().token.id;
    const installation = await app.inject({
      method: 'POST',
      url: '/api/v2/apps/installations',
      headers: acmeSession.headers,
      payload: { app_id: 1001, settings: { channel: '#help', api_token: 'xoxb-sweep' } },
    });
    acmeRecords.installation = installation.json<{ installation: { id: number } }>().installation.id;
    const certificate = await app.inject({
      method: 'POST',
      url: '/api/v2/certificates',
      headers: acmeSession.headers,
      payload: {
        certificate: { certificate_pem: certificates.chainOf(certificates.rsaLeaf), private_key_pem: certificates.rsaLeaf.keyPem },
      },
    });
    acmeRecords.certificate = certificate.json<{ certificate: { id: number } }>().certificate.id;
    // An incident whose scope holds account A only: B's admin must get a 404 for its evidence.
    const incident = await declareIncident(deps, { title: 'Sweep', becameAwareAt: '2026-05-30T09:00:00Z', actor: { type: 'cli' } });
    await addExposure(deps, { incidentId: incident.id, category: 'contact_pii', accountIds: [acme.id], actor: { type: 'cli' } });
    acmeRecords.incident = incident.id;
    const grant = await app.inject({
      method: 'POST',
      url: '/api/v2/staff_access/grants.json',
      headers: acmeSession.headers,
      payload: { grant: { duration: 'indefinite' } },
    });
    acmeRecords.staffAccessGrant = grant.json<{ grant: { id: number } }>().grant.id;
    const leaver = await insertUser(database.db, acme, 'leo@acme.test');
    await app.inject({ method: 'DELETE', url: `/api/v2/users/${leaver.id}.json`, headers: acmeSession.headers });
    acmeRecords.deletedUser = leaver.id;
    const webhook = await app.inject({
      method: 'POST',
      url: '/api/v2/security/webhooks',
      headers: acmeSession.headers,
      payload: { webhook: { url: 'https://hooks.acme.example/riposte' } },
    });
    acmeRecords.webhook = webhook.json<{ webhook: { id: number } }>().webhook.id;

    const doc = (await app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v2/') && !PUBLIC_PATHS.has(path))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase() as Method, path })));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  function urlOf(operation: Operation): string {
    if (!operation.path.includes('{id}')) return operation.path;
    const record = RECORD_OF[operation.path];
    if (record === undefined) throw new Error(`${operation.path} has no record in RECORD_OF: add one so the sweep covers it`);
    return operation.path.replace('{id}', String(acmeRecords[record]));
  }

  const call = (operation: Operation, headers: Record<string, string>) =>
    app.inject({
      method: operation.method,
      url: `${urlOf(operation)}.json`,
      headers,
      ...(BODY[operation.method] === undefined ? {} : { payload: BODY[operation.method] }),
    } as InjectOptions);

  it('covers the documented API, with a real record of account A behind every id', () => {
    expect(operations.length).toBeGreaterThan(15);
    for (const record of new Set(Object.values(RECORD_OF))) expect(acmeRecords[record], record).toBeGreaterThan(0);
  });

  it('refuses every route without a credential', async () => {
    for (const operation of operations) {
      const response = await call(operation, { host: hostOf(acme) });
      expect([400, 401], `${operation.method} ${operation.path}`).toContain(response.statusCode);
    }
  });

  it("refuses account A's API token and session on account B's host", async () => {
    for (const operation of operations) {
      const byToken = await call(operation, { host: hostOf(globex), authorization: apiTokenAuthorization('ada@acme.test', acmeToken) });
      expect([400, 401], `token: ${operation.method} ${operation.path}`).toContain(byToken.statusCode);
      const bySession = await call(operation, { host: hostOf(globex), cookie: acmeSession.cookie, 'x-csrf-token': acmeSession.csrfToken });
      expect([400, 401], `session: ${operation.method} ${operation.path}`).toContain(bySession.statusCode);
    }
  });

  it("never lets account B's admin reach account A's records", async () => {
    for (const operation of operations.filter((op) => op.path.includes('{id}'))) {
      const response = await call(operation, globexSession.headers);
      expect([400, 403, 404], `${operation.method} ${operation.path}`).toContain(response.statusCode);
    }
    // A's records are all still there.
    expect((await app.inject({ url: `/api/v2/users/${acmeAdmin.id}`, headers: acmeSession.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: `/api/v2/api_tokens/${acmeRecords.apiToken}`, headers: acmeSession.headers })).statusCode).toBe(200);
  });

  it.each([
    ['an id written as 1e400', '/api/v2/users/1e400'],
    ['an id beyond 2^53', '/api/v2/users/99999999999999999999'],
    ['a negative id', '/api/v2/users/-1'],
    ['SQL in the id', '/api/v2/users/1%20or%201=1'],
    ['a page written as 1e400', '/api/v2/users?page=1e400'],
    ['a huge page size', '/api/v2/users?page[size]=100000'],
    ['a forged cursor', '/api/v2/users?page[after]=aWQ6MSBvciAxPTE'],
  ])('answers %s with a 4xx, never a 5xx', async (_label, url) => {
    const response = await app.inject({ url, headers: acmeSession.headers });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
  });
});
