import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { openRuntime, runCli } from '../../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../../../test/support/staff-fixtures.js';
import { registerAccountsCommand } from '../../cli/accounts.js';
import type { Account } from '../../db/schema.js';
import type { AccountLifecycleAnswer } from './account-lifecycle.schema.js';
import { changeAccountLifecycle } from './account-lifecycle.service.js';

describe.each(backends)('account lifecycle for operators on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let trial: Account;
  let globex: Account;
  let operator: StaffSession;
  let support: StaffSession;
  let trialAdmin: TestSession;
  let trialAgent: TestSession;
  let globexAdmin: TestSession;

  const ops = (method: 'GET' | 'PUT', subdomain: string, session: StaffSession | null, payload?: object) =>
    app.inject({
      method,
      url: `/ops/v1/accounts/${subdomain}`,
      headers: { ...(session === null ? {} : session.headers), host: 'localhost' },
      ...(payload === undefined ? {} : { payload }),
    });
  const lifecycleEvents = async (accountId: number) =>
    (
      await database.db
        .selectFrom('audit_events')
        .select(['actor_type', 'actor_id', 'data'])
        .where('account_id', '=', accountId)
        .where('action', '=', 'account.lifecycle_changed')
        .orderBy('seq')
        .execute()
    ).map((row) => ({ actor_type: row.actor_type, actor_id: row.actor_id, data: JSON.parse(row.data) as unknown }));

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    deps.clock.set('2026-06-01T12:00:00.000Z');
    trial = await insertAccount(database.db, 'trialco', { status: 'trial', activated_at: null, created_at: '2026-05-01T00:00:00.000Z' });
    globex = await insertAccount(database.db, 'globex');
    trialAdmin = await signIn(deps, trial, await insertUser(database.db, trial, 'ada@trialco.test', { role: 'admin' }));
    trialAgent = await signIn(deps, trial, await insertUser(database.db, trial, 'al@trialco.test', { role: 'agent' }));
    globexAdmin = await signIn(deps, globex, await insertUser(database.db, globex, 'gil@globex.test', { role: 'admin' }));
    operator = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'olga@vendor.test', 'operator'));
    support = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'sam@vendor.test', 'support'));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('lets an operator activate a trial with its date and change its products, audited on the account with the operator', async () => {
    const before = await ops('GET', 'trialco', operator);
    expect(before.statusCode).toBe(200);
    expect(before.json<AccountLifecycleAnswer>().account).toMatchObject({
      status: 'trial',
      activated_at: null,
      products: ['support', 'chat'],
    });

    const changed = await ops('PUT', 'trialco', operator, {
      account: { status: 'active', activated_at: '2026-05-20T09:00:00+02:00', products: ['guide', 'support', 'sell'] },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json<AccountLifecycleAnswer>().account).toMatchObject({
      subdomain: 'trialco',
      status: 'active',
      activated_at: '2026-05-20T07:00:00.000Z',
      products: ['support', 'guide', 'sell'],
    });
    const [event, ...more] = await lifecycleEvents(trial.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      actor_type: 'staff',
      data: {
        from: { status: 'trial', activated_at: null, products: ['support', 'chat'] },
        to: { status: 'active', activated_at: '2026-05-20T07:00:00.000Z', products: ['support', 'guide', 'sell'] },
      },
    });

    // The same again changes nothing and records nothing.
    await ops('PUT', 'trialco', operator, { account: { status: 'active' } });
    expect(await lifecycleEvents(trial.id)).toHaveLength(1);
  });

  it("shows the account's admins where it stands, and the change in their audit log; never another account's", async () => {
    const own = await app.inject({ url: '/api/v2/account.json', headers: trialAdmin.headers });
    expect(own.statusCode).toBe(200);
    expect(own.json<AccountLifecycleAnswer>().account).toMatchObject({
      subdomain: 'trialco',
      status: 'active',
      products: ['support', 'guide', 'sell'],
    });
    const log = await app.inject({ url: '/api/v2/audit_logs.json?filter[action]=account.lifecycle_changed', headers: trialAdmin.headers });
    expect(log.statusCode).toBe(200);
    expect(JSON.stringify(log.json())).toContain('lifecycle_changed');
    expect((await app.inject({ url: '/api/v2/account.json', headers: trialAgent.headers })).statusCode).toBe(403);
    const other = await app.inject({ url: '/api/v2/account.json', headers: globexAdmin.headers });
    expect(other.json<AccountLifecycleAnswer>().account.subdomain).toBe('globex');
    expect(JSON.stringify(other.json())).not.toContain('trialco');
  });

  it('refuses what is not a lifecycle, naming what to give', async () => {
    const refused = async (body: object, status = 422) => {
      const answer = await ops('PUT', 'trialco', operator, body);
      expect(answer.statusCode).toBe(status);
      return answer.json<{ description: string }>().description;
    };
    expect(await refused({ account: {} })).toContain('give status, activated_at or products');
    expect(await refused({ account: { status: 'trial' } })).toContain('does not go back to trial');
    expect(await refused({ account: { status: 'paused' } })).toContain('trial, active, trial_expired, inactive');
    expect(await refused({ account: { products: ['support', 'fax'] } })).toContain('Unknown products: fax');
    expect(await refused({ account: { products: [] } })).toContain('at least one product');
    expect(await refused({ account: { activated_at: 'yesterday' } })).toContain('ISO-8601');
    expect(await refused({ account: { activated_at: '2027-01-01T00:00:00Z' } })).toContain('in the future');
    expect(await refused({ account: { activated_at: '2026-04-01T00:00:00Z' } })).toContain('before the account was created');
    expect(await refused({}, 400)).toContain('account');
    expect(await lifecycleEvents(trial.id)).toHaveLength(1);
  });

  it('is for operators only: support staff, no session, and unknown accounts are refused', async () => {
    expect((await ops('PUT', 'globex', support, { account: { status: 'inactive' } })).statusCode).toBe(403);
    expect((await ops('GET', 'globex', support)).statusCode).toBe(403);
    expect((await ops('GET', 'globex', null)).statusCode).toBe(401);
    expect((await ops('PUT', 'nobody', operator, { account: { status: 'inactive' } })).statusCode).toBe(404);
    // A customer's credentials do not reach the operator API.
    const customer = await app.inject({
      method: 'PUT',
      url: '/ops/v1/accounts/globex',
      headers: { ...globexAdmin.headers, host: 'localhost' },
      payload: { account: { status: 'inactive' } },
    });
    expect(customer.statusCode).toBe(401);
    expect(await lifecycleEvents(globex.id)).toEqual([]);
  });

  it('keeps an inactive account its activation date, and works from the command line', async () => {
    const run = async (...args: string[]) =>
      (await runCli((program, output) => registerAccountsCommand(program, openRuntime(deps), output), ['accounts', ...args])).stdout;
    expect(await run('show', 'globex')).toContain('status:       active');
    const inactive = JSON.parse(
      await run('set', 'globex', '--status', 'inactive', '--products', 'support, talk', '--json'),
    ) as AccountLifecycleAnswer;
    expect(inactive.account).toMatchObject({ status: 'inactive', activated_at: '2015-01-01T00:00:00.000Z', products: ['support', 'talk'] });
    expect(await lifecycleEvents(globex.id)).toMatchObject([
      { actor_type: 'cli', data: { from: { status: 'active' }, to: { status: 'inactive' } } },
    ]);
    await expect(run('set', 'globex', '--status', 'trial_expired')).rejects.toThrow('does not go back to trial_expired');
    await expect(run('show', 'nobody')).rejects.toThrow('Account nobody was not found');
    // A trial that was never activated can expire, and be activated later at the time of the change.
    await changeAccountLifecycle(deps, 'globex', { products: ['support'] }, { type: 'cli' });
    const expired = await insertAccount(database.db, 'lapsed', {
      status: 'trial',
      activated_at: null,
      created_at: '2026-05-01T00:00:00.000Z',
    });
    await changeAccountLifecycle(deps, expired.subdomain, { status: 'trial_expired' }, { type: 'cli' });
    const activated = await changeAccountLifecycle(deps, expired.subdomain, { status: 'active' }, { type: 'cli' });
    expect(activated).toMatchObject({ status: 'active', activated_at: deps.clock.now().toISOString() });
  });
});
