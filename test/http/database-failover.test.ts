import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConnectionLoss } from '../../src/db/failover.js';
import type { Account } from '../../src/db/schema.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { openTestDatabase, postgresAvailable, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';

describe('connection loss', () => {
  it('is recognised by SQLSTATE, socket error and pg message, through causes', () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    expect(isConnectionLoss(coded('57P01'))).toBe(true); // admin shutdown: the primary was stopped
    expect(isConnectionLoss(coded('08006'))).toBe(true);
    expect(isConnectionLoss(coded('25006'))).toBe(true); // read-only: connected to a standby
    expect(isConnectionLoss(coded('ECONNREFUSED'))).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(new Error('wrapped', { cause: coded('ECONNRESET') }))).toBe(true);
    expect(isConnectionLoss(coded('23505'))).toBe(false); // a unique violation is the caller's
    expect(isConnectionLoss(new Error('syntax error'))).toBe(false);
  });
});

describe.skipIf(!postgresAvailable())('riding through a lost database connection on postgres', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let acme: Account;
  let session: TestSession;
  const terminateOtherConnections = () =>
    sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(
      database.db,
    );

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const deps = testDeps(database);
    app = await buildTestApp(deps, {
      routes: [
        (instance, _options, done) => {
          instance.post('/test/lost-write', () => {
            throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
          });
          done();
        },
      ],
    });
    acme = await insertAccount(database.db, 'acme');
    session = await signIn(deps, acme, await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('answers reads after every connection of the pool was killed, on new connections', async () => {
    const read = () => app.inject({ url: '/api/v2/users/me.json', headers: { ...session.headers, host: hostOf(acme) } });
    expect((await read()).statusCode).toBe(200);
    // Killed from a connection of the same pool: the query that kills returns, then its own connection is checked in.
    await terminateOtherConnections();
    await terminateOtherConnections();
    const after = await read();
    expect(after.statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', database: 'ok' });
  });

  it('answers a write whose connection was lost with 503, Retry-After and what to do', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/lost-write', headers: { host: hostOf(acme) } });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ error: 'DatabaseUnavailable' });
  });
});
