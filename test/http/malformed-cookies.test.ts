import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../support/app.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../support/staff-fixtures.js';

/** Cookie headers a browser never sends but anyone can: each must read as "no cookie", never a 500. */
const MALFORMED = [
  'riposte_session=%E0%A4%A',
  'riposte_staff=%E0%A4%A',
  'riposte_session=%; riposte_staff=%zz',
  '=;;=',
  ';;;',
  '=',
  'riposte_session',
  'riposte_session=%E0%A4%A; riposte_session=%FF',
  `riposte_session=${'%'.repeat(4000)}`,
];

describe('malformed Cookie headers', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let customer: TestSession;
  let staff: StaffSession;

  beforeAll(async () => {
    database = await openTestDatabase('sqlite');
    const deps = testDeps(database);
    const acme = await insertAccount(database.db, 'acme');
    app = await buildTestApp(deps);
    customer = await signIn(deps, acme, await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' }));
    staff = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'op@riposte.test', 'operator'));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('treats an undecodable or malformed cookie as absent on customer, public and operator routes', async () => {
    for (const cookie of MALFORMED) {
      const customerRoute = await app.inject({ url: '/api/v2/users/me.json', headers: { host: 'acme.localhost', cookie } });
      expect(customerRoute.statusCode, cookie).toBe(401);
      const publicRoute = await app.inject({ url: '/healthz', headers: { host: 'acme.localhost', cookie } });
      expect(publicRoute.statusCode, cookie).toBe(200);
      const opsRoute = await app.inject({ url: '/ops/v1/session', headers: { host: 'localhost', cookie } });
      expect(opsRoute.statusCode, cookie).toBe(401);
    }
  });

  it('still reads a valid cookie next to a malformed one', async () => {
    const customerRoute = await app.inject({
      url: '/api/v2/users/me.json',
      headers: { host: 'acme.localhost', cookie: `junk=%E0%A4%A; ${customer.cookie}` },
    });
    expect(customerRoute.statusCode).toBe(200);
    const opsRoute = await app.inject({ url: '/ops/v1/session', headers: { host: 'localhost', cookie: `x=%; ${staff.cookie}` } });
    expect(opsRoute.statusCode).toBe(200);
  });
});
