/**
 * Issue 5's scenario, end to end: a population imported through
 * `riposte import` (real legacy password hashes), an exposure with
 * DESIGN.md's seed selector and its exact scope, a rotation campaign's exact
 * targets and exemptions, each credential channel for a rotated and an
 * exempted user, then completion after some rotated users change their
 * password through the forced-change step.
 *
 * Cutoff 2016-11-01T00:00:00Z. Who is who (T = rotation target, and in scope;
 * x = exempt, with the dry run's reason; - = not a candidate at all):
 *
 * - acme (active, 2015; Support, Chat, Sell):
 *   T ana admin (bcrypt), T ben agent (PBKDF2), T dana end user of 2015 (SHA-1),
 *   T jack Chat-only agent whose password was set one second before the cutoff;
 *   x bob admin who changed his password after the cutoff, x fay agent created
 *   after the cutoff, x ida end user of 2014 who changed hers after it, x kate
 *   agent who changed hers exactly at the cutoff (changed_since_cutoff);
 *   x carl SSO agent with a password, x cleo SSO agent without one (sso);
 *   x dora end user of 2015 without a password (no_password);
 *   x sven Sell-realm end user of 2015 (other_realm);
 *   - eve end user created after the cutoff, - gil inactive agent,
 *   - hank Guide-only agent, - ana again in the Sell realm (Sell-only agent).
 * - beta (active, activated 2018): - bea agent, - bert end user; both with old passwords.
 * - gamma (expired trial, activated 2016-01): T gia agent, T gus end user, x gwen SSO agent.
 * - delta (inactive, activated 2014): T del admin, T dex end user, - dot end user of 2018.
 * - trialco (trial, never activated): - tia agent, - tom end user.
 * - sellco (Sell only, 2015): - sal Sell agent, x sue Sell-realm end user of 2015 (other_realm).
 * - hooli (activated an hour before the cutoff): T hal agent, x hana agent
 *   (changed after the cutoff), - hugo end user created after it.
 * - late (activated exactly at the cutoff): - lee agent, - lena end user.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerImportCommand } from '../../src/cli/import.js';
import type { Account, User } from '../../src/db/schema.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1 } from '../../src/modules/auth/password-formats.js';
import { campaignCompletion, createCampaign, getCampaign } from '../../src/modules/incidents/campaigns.service.js';
import { startCampaign } from '../../src/modules/incidents/campaign-start.service.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { getScope } from '../../src/modules/incidents/scope.service.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { openRuntime, runCli } from '../support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { apiTokenAuthorization, hostOf, signIn, type TestSession } from '../support/identity-fixtures.js';
import { SCOPE_CUTOFF, SEED_SELECTOR } from '../support/scope-population.js';
import { IN_ORDER } from '../support/in-order.js';

const PASSWORD = 'Legacy-Orchard-2015';
const NEW_PASSWORD = 'Quiet-Harbour-Morning-77';
const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

type Scheme = 'bcrypt' | 'pbkdf2' | 'sha1';
const salt = (seed: string): Buffer => crypto.createHash('sha256').update(seed).digest().subarray(0, 16);
function legacyHash(scheme: Scheme, seed: string): string {
  if (scheme === 'bcrypt') return hashBcrypt(PASSWORD, 4, salt(seed));
  if (scheme === 'pbkdf2') return hashPbkdf2Sha256(PASSWORD, salt(seed), 1000);
  return hashSaltedSha1(PASSWORD, seed.replace(/[^a-z0-9]/g, '').slice(0, 12));
}

const ACCOUNTS = [
  { subdomain: 'acme', status: 'active', activated_at: '2015-03-02T00:00:00Z', products: ['support', 'chat', 'sell'] },
  { subdomain: 'beta', status: 'active', activated_at: '2018-01-01T00:00:00Z', products: ['support'] },
  { subdomain: 'gamma', status: 'trial_expired', activated_at: '2016-01-01T00:00:00Z', products: ['support'] },
  { subdomain: 'delta', status: 'inactive', activated_at: '2014-01-01T00:00:00Z', products: ['support', 'guide'] },
  { subdomain: 'trialco', status: 'trial', activated_at: null, products: ['support'] },
  { subdomain: 'sellco', status: 'active', activated_at: '2015-06-01T00:00:00Z', products: ['sell'] },
  { subdomain: 'hooli', status: 'active', activated_at: '2016-10-31T23:00:00Z', products: ['support', 'chat'] },
  { subdomain: 'late', status: 'active', activated_at: '2016-11-01T00:00:00Z', products: ['support'] },
] as const;

interface Person {
  account: (typeof ACCOUNTS)[number]['subdomain'];
  name: string;
  role: 'admin' | 'agent' | 'end-user';
  created: string;
  /** When the password was set; absent: no password at all. */
  password?: { at: string; scheme: Scheme };
  realm?: 'core' | 'sell';
  products?: string[];
  sso?: boolean;
  active?: boolean;
}

const OLD = '2014-01-10T00:00:00Z';
const pw = (at: string, scheme: Scheme = 'sha1') => ({ at, scheme });
const PEOPLE: Person[] = [
  // acme
  { account: 'acme', name: 'ana', role: 'admin', created: OLD, password: pw('2015-02-01T00:00:00Z', 'bcrypt') },
  { account: 'acme', name: 'ben', role: 'agent', created: OLD, password: pw('2015-04-01T00:00:00Z', 'pbkdf2'), products: ['support'] },
  { account: 'acme', name: 'dana', role: 'end-user', created: '2015-05-01T00:00:00Z', password: pw('2015-05-01T00:00:00Z'), products: [] },
  {
    account: 'acme',
    name: 'jack',
    role: 'agent',
    created: '2015-01-01T00:00:00Z',
    password: pw('2016-10-31T23:59:59Z'),
    products: ['chat'],
  },
  { account: 'acme', name: 'bob', role: 'admin', created: OLD, password: pw('2017-01-15T00:00:00Z') },
  { account: 'acme', name: 'fay', role: 'agent', created: '2017-02-01T00:00:00Z', password: pw('2017-02-01T00:00:00Z', 'bcrypt') },
  { account: 'acme', name: 'ida', role: 'end-user', created: OLD, password: pw('2017-03-01T00:00:00Z'), products: [] },
  { account: 'acme', name: 'kate', role: 'agent', created: OLD, password: pw('2016-11-01T00:00:00Z') },
  { account: 'acme', name: 'carl', role: 'agent', created: OLD, password: pw('2015-02-01T00:00:00Z'), sso: true },
  { account: 'acme', name: 'cleo', role: 'agent', created: OLD, sso: true },
  { account: 'acme', name: 'dora', role: 'end-user', created: '2015-06-01T00:00:00Z', products: [] },
  { account: 'acme', name: 'sven', role: 'end-user', created: '2015-06-01T00:00:00Z', password: pw(OLD), realm: 'sell', products: [] },
  { account: 'acme', name: 'eve', role: 'end-user', created: '2017-01-01T00:00:00Z', password: pw('2017-01-01T00:00:00Z'), products: [] },
  { account: 'acme', name: 'gil', role: 'agent', created: OLD, password: pw(OLD), active: false },
  { account: 'acme', name: 'hank', role: 'agent', created: OLD, password: pw(OLD), products: ['guide'] },
  { account: 'acme', name: 'ana', role: 'agent', created: OLD, password: pw(OLD, 'pbkdf2'), realm: 'sell', products: ['sell'] },
  // beta: activated after the cutoff
  { account: 'beta', name: 'bea', role: 'agent', created: OLD, password: pw(OLD) },
  { account: 'beta', name: 'bert', role: 'end-user', created: OLD, password: pw(OLD), products: [] },
  // gamma: expired trial
  { account: 'gamma', name: 'gia', role: 'agent', created: '2015-01-01T00:00:00Z', password: pw('2015-01-01T00:00:00Z', 'pbkdf2') },
  { account: 'gamma', name: 'gus', role: 'end-user', created: '2016-02-01T00:00:00Z', password: pw('2016-02-01T00:00:00Z'), products: [] },
  { account: 'gamma', name: 'gwen', role: 'agent', created: OLD, password: pw(OLD), sso: true },
  // delta: inactive
  { account: 'delta', name: 'del', role: 'admin', created: OLD, password: pw(OLD) },
  { account: 'delta', name: 'dex', role: 'end-user', created: OLD, password: pw(OLD, 'bcrypt'), products: [] },
  { account: 'delta', name: 'dot', role: 'end-user', created: '2018-01-01T00:00:00Z', password: pw('2018-01-01T00:00:00Z'), products: [] },
  // trialco: never activated
  { account: 'trialco', name: 'tia', role: 'agent', created: OLD, password: pw(OLD) },
  { account: 'trialco', name: 'tom', role: 'end-user', created: OLD, password: pw(OLD), products: [] },
  // sellco: Sell only
  { account: 'sellco', name: 'sal', role: 'agent', created: OLD, password: pw(OLD), realm: 'sell', products: ['sell'] },
  { account: 'sellco', name: 'sue', role: 'end-user', created: OLD, password: pw(OLD), realm: 'sell', products: [] },
  // hooli: activated an hour before the cutoff
  { account: 'hooli', name: 'hal', role: 'agent', created: OLD, password: pw('2016-06-01T00:00:00Z', 'bcrypt') },
  { account: 'hooli', name: 'hana', role: 'agent', created: OLD, password: pw('2016-12-01T00:00:00Z') },
  { account: 'hooli', name: 'hugo', role: 'end-user', created: '2016-12-01T00:00:00Z', password: pw('2016-12-01T00:00:00Z'), products: [] },
  // late: activated exactly at the cutoff ("before" is strict)
  { account: 'late', name: 'lee', role: 'agent', created: OLD, password: pw(OLD) },
  { account: 'late', name: 'lena', role: 'end-user', created: OLD, password: pw(OLD), products: [] },
];

/** The core-realm targets (and the users the seed selector matches), as `subdomain/name`. */
const TARGETS = ['acme/ana', 'acme/ben', 'acme/dana', 'acme/jack', 'gamma/gia', 'gamma/gus', 'delta/del', 'delta/dex', 'hooli/hal'];

const emailOf = (person: Pick<Person, 'account' | 'name'>): string => `${person.name}@${person.account}.test`;

function writePopulation(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const accounts = ACCOUNTS.map((account) => ({
    ...account,
    name: account.subdomain.toUpperCase(),
    owner_email: `owner@${account.subdomain}.test`,
  }));
  const users = PEOPLE.map((person) => ({
    account: person.account,
    realm: person.realm ?? 'core',
    role: person.role,
    name: person.name,
    email: emailOf(person),
    created_at: person.created,
    sso: person.sso ?? false,
    active: person.active ?? true,
    products: person.products ?? ['support', 'chat'],
    ...(person.password === undefined
      ? {}
      : {
          password_changed_at: person.password.at,
          password_hash: legacyHash(person.password.scheme, `${person.account}-${person.name}-${person.realm ?? 'core'}`),
        }),
  }));
  const lines = (rows: object[]): string => rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'accounts.jsonl'), lines(accounts));
  fs.writeFileSync(path.join(dir, 'users.jsonl'), lines(users));
}

describe.each(backends)('issue 5 scenario on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let accounts: Record<string, Account>;
  /** Core-realm users by `subdomain/name`. */
  let users: Record<string, User>;
  let incidentId: number;
  let campaignId: number;
  let bobSession: TestSession;
  let benSession: TestSession;
  let apiToken: string;
  const bearer: Partial<Record<'ben' | 'bob', string>> = {};

  const host = (subdomain: string): string => hostOf(accounts[subdomain] as Account);
  const me = (subdomain: string, headers: Record<string, string>) =>
    app.inject({ url: '/api/v2/users/me.json', headers: { host: host(subdomain), ...headers } });
  const webSignIn = (subdomain: string, email: string, password: string) =>
    app.inject({ method: 'POST', url: '/access/sign_in', headers: { host: host(subdomain) }, payload: { email, password } });
  const key = (user: { account_id: number; id: number }): string => {
    const account = Object.values(accounts).find((a) => a.id === user.account_id);
    const person = Object.entries(users).find(([, u]) => u.account_id === user.account_id && u.id === user.id);
    return person?.[0] ?? `${account?.subdomain ?? '?'}/#${user.id}`;
  };

  async function runImport(dir: string): Promise<unknown> {
    const open = openRuntime({
      handle: database,
      clock: deps.clock,
      keyring: deps.keyring,
      config: { baseDomain: 'localhost', port: 3000 },
    });
    const { stdout } = await runCli((program, output) => registerImportCommand(program, open, output), ['import', dir, '--json'], {
      isTTY: false,
    });
    return JSON.parse(stdout);
  }

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    const dir = path.join(database.dataDir, 'scenario');
    writePopulation(dir);
    const summary = await runImport(dir);
    expect(summary).toMatchObject({
      accounts: { created: ACCOUNTS.length },
      users: { created: PEOPLE.length },
      passwords: { created: PEOPLE.filter((p) => p.password !== undefined).length },
    });
    accounts = Object.fromEntries(
      (await database.db.selectFrom('accounts').selectAll().execute()).map((account) => [account.subdomain, account]),
    );
    users = {};
    for (const user of await database.db.selectFrom('users').selectAll().where('realm', '=', 'core').execute()) {
      const account = Object.values(accounts).find((a) => a.id === user.account_id);
      users[`${account?.subdomain ?? '?'}/${user.name}`] = user;
    }
    const incident = await declareIncident(deps, {
      title: 'Legacy credential store copied',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: SCOPE_CUTOFF,
      actor: { type: 'cli' },
    });
    incidentId = incident.id;
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('imported every case through `riposte import`', () => {
    expect(Object.keys(accounts).sort()).toEqual(ACCOUNTS.map((a) => a.subdomain).sort());
    expect(Object.keys(users)).toHaveLength(PEOPLE.filter((p) => (p.realm ?? 'core') === 'core').length);
  });

  it('scopes the seed selector exactly: accounts, people by role and records', async () => {
    const change = await addExposure(deps, { incidentId, category: 'password_hashes', selector: SEED_SELECTOR, actor: { type: 'cli' } });
    expect(change).toMatchObject({ scopeVersion: 1, accountsInScope: 4 });
    const scope = await getScope(deps, incidentId);
    const bySubdomain = Object.fromEntries(
      scope.accounts.map((a) => [a.subdomain, [a.peopleByRole.agents, a.peopleByRole.endUsers, a.records]]),
    );
    expect(bySubdomain).toEqual({
      acme: [3, 1, { password_hashes: 4 }],
      gamma: [1, 1, { password_hashes: 2 }],
      delta: [1, 1, { password_hashes: 2 }],
      hooli: [1, 0, { password_hashes: 1 }],
    });
    for (const account of scope.accounts) expect(account.categories).toEqual(['password_hashes']);
    expect(scope.totals).toEqual({
      accounts: 4,
      people: 9,
      peopleByRole: { agents: 6, endUsers: 3 },
      records: { password_hashes: 9 },
      // SHA-1 is critical; bcrypt at cost 4 and PBKDF2 at 1,000 iterations are high.
      hashTiers: { critical: 4, high: 5, moderate: 0 },
    });
  });

  it('sets up the channels before the campaign: sessions, an API token, OAuth tokens', async () => {
    const acme = accounts.acme as Account;
    bobSession = await signIn(deps, acme, users['acme/bob'] as User);
    benSession = await signIn(deps, acme, users['acme/ben'] as User);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: bobSession.headers,
      payload: { api_token: { description: 'scenario' } },
    });
    expect(created.statusCode).toBe(201);
    apiToken = created.json<{ api_token: { token: string } }>().api_token.token;
    const client = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: bobSession.headers,
      payload: { client: { name: 'Scenario', identifier: 'scenario', redirect_uri: ['https://app.test/callback'], kind: 'confidential' } },
    });
    expect(client.statusCode).toBe(201);
    const clientId = client.json<{ client: { id: number } }>().client.id;
    for (const name of ['ben', 'bob'] as const) {
      const token = await app.inject({
        method: 'POST',
        url: '/api/v2/oauth/tokens.json',
        headers: bobSession.headers,
        payload: { token: { client_id: clientId, user_id: users[`acme/${name}`]?.id, scopes: ['read', 'write'] } },
      });
      expect(token.statusCode).toBe(201);
      bearer[name] = token.json<{ token: { token: string } }>().token.token;
    }
  });

  it('drafts the campaign with the exact targets and exemptions', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SEED_SELECTOR, batchSize: 4 });
    campaignId = draft.id;
    expect(draft.state).toBe('draft');
    expect(draft.dryRun.targets).toBe(9);
    expect(draft.dryRun.exempt).toEqual({ sso: 3, changed_since_cutoff: 5, other_realm: 2, no_password: 1, excluded_by_selector: 0 });
    expect(draft.dryRun.byRole).toEqual({ admin: 2, agent: 4, 'end-user': 3 });
    expect(draft.dryRun.byRealm).toEqual({ core: 9 });
    const byAccount = Object.fromEntries(draft.dryRun.byAccount.map((a) => [a.subdomain, [a.targets, a.exempt]]));
    // sellco's users are all exempt (another realm): it is listed, so per-account exemptions add up to the total.
    expect(byAccount).toEqual({ acme: [4, 8], gamma: [2, 1], delta: [2, 0], hooli: [1, 1], sellco: [0, 1] });
    const flagged = await database.db.selectFrom('password_credentials').select('user_id').where('must_change', '=', 1).execute();
    expect(flagged).toEqual([]);
  });

  it('runs in batches and flags exactly the targets, for the incident, revoking their sessions', async () => {
    const started = await startCampaign(deps, campaignId);
    expect(started).toMatchObject({ state: 'running', batches: 3, progress: { total: 9, done: 0 } });
    await deps.jobs.start();
    await deps.jobs.drain();
    expect(await getCampaign(deps, campaignId)).toMatchObject({ state: 'done', progress: { total: 9, done: 9 } });
    const flagged = await database.db
      .selectFrom('password_credentials')
      .select(['account_id', 'user_id as id', 'must_change_reason', 'must_change_incident_id'])
      .where('must_change', '=', 1)
      .execute();
    expect(flagged.map((row) => key(row)).sort()).toEqual([...TARGETS].sort());
    for (const row of flagged) expect(row).toMatchObject({ must_change_reason: 'incident', must_change_incident_id: incidentId });
    expect((await me('acme', { cookie: benSession.cookie })).statusCode).toBe(401);
    expect((await me('acme', { cookie: bobSession.cookie })).statusCode).toBe(200);
  });

  describe('each channel for rotated ben and exempted bob', () => {
    it('web sign-in: a change step for ben, a session for bob, refused for SSO carl', async () => {
      const ben = await webSignIn('acme', 'ben@acme.test', PASSWORD);
      expect(ben.statusCode).toBe(200);
      expect(ben.headers['set-cookie']).toBeUndefined();
      expect(ben.json()).toMatchObject({ status: 'password_change_required', change_token: expect.any(String) });
      const bob = await webSignIn('acme', 'bob@acme.test', PASSWORD);
      expect(bob.statusCode).toBe(200);
      expect(bob.json()).toMatchObject({ status: 'signed_in', user: { email: 'bob@acme.test' } });
      expect(String(bob.headers['set-cookie'])).toContain('riposte_session=');
      const carl = await webSignIn('acme', 'carl@acme.test', PASSWORD);
      expect(carl.statusCode).toBe(401);
    });

    it('API email:password: 401 PasswordChangeRequired for ben, 200 for bob', async () => {
      const ben = await me('acme', { authorization: basic('ben@acme.test', PASSWORD) });
      expect(ben.statusCode).toBe(401);
      expect(ben.json()).toMatchObject({ error: 'PasswordChangeRequired' });
      const bob = await me('acme', { authorization: basic('bob@acme.test', PASSWORD) });
      expect(bob.statusCode).toBe(200);
      expect(bob.json()).toMatchObject({ user: { email: 'bob@acme.test' } });
    });

    it.each(['ben', 'bob'] as const)('API token and Bearer OAuth are unaffected for %s', async (name) => {
      const user = users[`acme/${name}`] as User;
      const byToken = await me('acme', { authorization: apiTokenAuthorization(user.email, apiToken) });
      expect(byToken.statusCode).toBe(200);
      expect(byToken.json()).toMatchObject({ user: { id: user.id } });
      const byBearer = await me('acme', { authorization: `Bearer ${bearer[name] ?? ''}` });
      expect(byBearer.statusCode).toBe(200);
      expect(byBearer.json()).toMatchObject({ user: { id: user.id } });
    });
  });

  it('counts completion after ben and dana change their password through the forced-change step', async () => {
    const before = await campaignCompletion(deps, campaignId);
    expect(before).toMatchObject({ flagged: 9, changed: 0 });

    for (const name of ['ben', 'dana']) {
      const email = `${name}@acme.test`;
      const step = await webSignIn('acme', email, PASSWORD);
      const changeToken = step.json<{ change_token: string }>().change_token;
      const change = (password: string) =>
        app.inject({
          method: 'POST',
          url: '/access/password_change',
          headers: { host: host('acme') },
          payload: { change_token: changeToken, password },
        });
      const reused = await change(PASSWORD);
      expect(reused.statusCode).toBe(422);
      const accepted = await change(NEW_PASSWORD);
      expect(accepted.statusCode).toBe(200);
      expect(String(accepted.headers['set-cookie'])).toContain('riposte_session=');
      expect((await webSignIn('acme', email, NEW_PASSWORD)).json()).toMatchObject({ status: 'signed_in' });
      expect((await me('acme', { authorization: basic(email, NEW_PASSWORD) })).statusCode).toBe(200);
    }

    const after = await campaignCompletion(deps, campaignId);
    expect(after).toMatchObject({ campaignId, flagged: 9, changed: 2 });
    const perAccount = Object.fromEntries(after.accounts.map((a) => [a.subdomain, [a.flagged, a.changed]]));
    expect(perAccount).toEqual({ acme: [4, 2], gamma: [2, 0], delta: [2, 0], hooli: [1, 0] });
    // The others are still pending.
    const pending = await database.db
      .selectFrom('password_credentials')
      .select(['account_id', 'user_id as id'])
      .where('must_change', '=', 1)
      .execute();
    expect(pending.map((row) => key(row)).sort()).toEqual(TARGETS.filter((t) => t !== 'acme/ben' && t !== 'acme/dana').sort());
  });

  it('upgraded legacy hashes at sign-in without moving password_changed_at; the old password no longer works', async () => {
    const credential = (name: string) =>
      database.db
        .selectFrom('password_credentials')
        .select(['password_hash', 'password_changed_at', 'must_change'])
        .where('account_id', '=', (accounts.acme as Account).id)
        .where('user_id', '=', (users[`acme/${name}`] as User).id)
        .executeTakeFirstOrThrow();
    // bob signed in with his SHA-1 password: upgraded, still changed on 2017-01-15, never flagged.
    expect(await credential('bob')).toMatchObject({
      password_hash: expect.stringMatching(/^\$argon2id\$/),
      password_changed_at: '2017-01-15T00:00:00.000Z',
      must_change: 0,
    });
    // jack never signed in: his imported SHA-1 hash is as it was, and he is still pending.
    expect(await credential('jack')).toMatchObject({
      password_hash: expect.stringMatching(/^\$sha1\$/),
      password_changed_at: '2016-10-31T23:59:59.000Z',
      must_change: 1,
    });
    expect((await credential('ben')).must_change).toBe(0);
    expect((await webSignIn('acme', 'ben@acme.test', PASSWORD)).statusCode).toBe(401);
    expect((await me('acme', { authorization: basic('ben@acme.test', PASSWORD) })).json()).toMatchObject({ error: 'InvalidCredentials' });
  });

  it('a later campaign with the same cutoff leaves out the users who changed their password', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SEED_SELECTOR });
    expect(draft.dryRun.targets).toBe(7);
    expect(draft.dryRun.exempt).toEqual({ sso: 3, changed_since_cutoff: 7, other_realm: 2, no_password: 1, excluded_by_selector: 0 });
    const byAccount = Object.fromEntries(draft.dryRun.byAccount.map((a) => [a.subdomain, [a.targets, a.exempt]]));
    expect(byAccount).toEqual({ acme: [2, 10], gamma: [2, 1], delta: [2, 0], hooli: [1, 1], sellco: [0, 1] });
  });
});
