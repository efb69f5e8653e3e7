import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { vendorIdentity } from '../../src/config/vendor.js';
import { renderMessage } from '../../src/modules/courier/templates/index.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1, hashSaltedSha256 } from '../../src/modules/auth/password-formats.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { wrapLegacyPasswords } from '../../src/modules/auth/passwords/password-wrap.service.js';
import { changePassword } from '../../src/modules/auth/passwords/passwords.service.js';
import { getCampaign } from '../../src/modules/incidents/campaigns.service.js';
import { applyCampaignBatch } from '../../src/modules/incidents/rotation-batch.service.js';
import { rotationBatchJob } from '../../src/modules/incidents/rotation-batch.job.js';
import type { DraftedCampaignWire } from '../../src/modules/incidents/campaigns-ops.schema.js';
import type { SecurityIncidentsWire } from '../../src/modules/incidents/customer-view.schema.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import type { EvidenceWire } from '../../src/modules/incidents/incidents-ops.schema.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import type { ScopeWire } from '../../src/modules/incidents/scope-ops.schema.js';
import { customerNoticeData } from '../../src/modules/notices/incident-notice-data.js';
import { listNoticeAccounts } from '../../src/modules/notices/incident-notices.repo.js';
import { findIncident } from '../../src/modules/incidents/incidents.repo.js';
import { FixedClock } from '../../src/platform/clock.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertPasswordCredential, insertUser, signIn } from '../support/identity-fixtures.js';
import { IN_ORDER } from '../support/in-order.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../support/staff-fixtures.js';

/** A clock that moves one millisecond each time it is read: batches run one after another get increasing `flagged_at`. */
class TickingClock extends FixedClock {
  override now(): Date {
    const now = super.now();
    this.advance(1);
    return now;
  }
}

const CUTOFF = '2016-11-01T00:00:00.000Z';
const BEFORE = '2015-03-01T00:00:00.000Z';
const AFTER = '2018-03-01T00:00:00.000Z';
const PASSWORD = 'correct horse battery staple 7';
const salt = crypto.randomBytes(16);
const actor = { type: 'cli' as const };

/**
 * Risk by hash strength, end to end: tiers counted at exposure time in the
 * scope (hashes wrapped at rest after the exposure keep their legacy tier),
 * shown by the ops API, the customer view, the evidence and the notice; a
 * weakest-first campaign flags critical targets first, then high, then
 * moderate; its start revokes the critical targets' `email:password` API
 * access, which a new password gives back.
 */
describe.each(backends)('risk by hash strength on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let staff: StaffSession;
  let acme: Account;
  let globex: Account;
  let incidentId: number;
  let campaignId: number;
  const users: Record<string, User> = {};

  async function userWith(account: Account, name: string, hash: string, changedAt = BEFORE, role: User['role'] = 'agent'): Promise<User> {
    const user = await insertUser(deps.db, account, `${name}@${account.subdomain}.test`, { role });
    users[name] = await insertPasswordCredential(deps.db, user, { password_hash: hash, password_changed_at: changedAt });
    return user;
  }

  const basicAuth = (account: Account, email: string, password: string) =>
    app.inject({
      url: '/api/v2/users/me.json',
      headers: { host: hostOf(account), authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` },
    });

  /** The batches whose jobs are queued, from the queue's own table. */
  const queuedBatches = async (): Promise<number[]> => {
    const rows =
      backend === 'postgres'
        ? (
            await sql<{ data: { batch: number } }>`select data from pgboss.job where name = ${rotationBatchJob.name}`.execute(deps.db)
          ).rows.map((row) => row.data)
        : (await deps.db.selectFrom('local_jobs').select('payload').where('name', '=', rotationBatchJob.name).execute()).map(
            (row) => JSON.parse(row.payload) as { batch: number },
          );
    return rows.map((payload) => payload.batch).sort((a, b) => a - b);
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database, new TickingClock('2026-06-01T12:00:00.000Z'));
    app = await buildTestApp(deps);
    acme = await insertAccount(deps.db, 'acme');
    globex = await insertAccount(deps.db, 'globex', { locale: 'fr' });
    await userWith(acme, 'ana', hashSaltedSha1(PASSWORD, 'x7'));
    await userWith(acme, 'gus', hashSaltedSha256(PASSWORD, 'a1b2'));
    await userWith(acme, 'bob', hashBcrypt(PASSWORD, 9, salt));
    await userWith(acme, 'carl', hashPbkdf2Sha256(PASSWORD, salt, 99_999));
    await userWith(acme, 'dora', hashPbkdf2Sha256(PASSWORD, salt, 100_000));
    await userWith(acme, 'eve', await hashPassword(PASSWORD));
    // A password set after the cutoff is not the exposed one: in no tier, no target.
    await userWith(acme, 'fay', hashSaltedSha1(PASSWORD, 'f1'), AFTER);
    // An admin without a password: in scope (a record), in no tier.
    users.admin = await insertUser(deps.db, acme, 'admin@acme.test', { role: 'admin' });
    await userWith(globex, 'ivy', hashSaltedSha256(PASSWORD, 'i9'));
    await userWith(globex, 'hal', hashBcrypt(PASSWORD, 4, salt));
    users.globexAdmin = await insertUser(deps.db, globex, 'admin@globex.test', { role: 'admin' });
    // 2020: every legacy hash wrapped in argon2id at rest, years after the 2016 copy: still exposed as the legacy hash.
    const now = deps.clock.now();
    deps.clock.set('2020-01-01T00:00:00.000Z');
    expect((await wrapLegacyPasswords(deps)).wrapped).toBe(8);
    deps.clock.set(now);
    incidentId = (
      await declareIncident(deps, { title: 'Credential store copied', becameAwareAt: '2026-05-30T09:00:00Z', cutoff: CUTOFF, actor })
    ).id;
    await addExposure(deps, { incidentId, category: 'password_hashes', selector: { field: 'user.realm', op: 'eq', value: 'core' }, actor });
    staff = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'sam@vendor.test', 'operator'));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('counts exposed credentials per tier in the scope version, per account and in total, on the ops API', async () => {
    const response = await app.inject({ url: `/ops/v1/incidents/${incidentId}/scope`, headers: staff.headers });
    expect(response.statusCode).toBe(200);
    const scope = response.json<ScopeWire>();
    expect(scope.accounts.map((account) => [account.subdomain, account.records, account.hash_tiers])).toEqual([
      ['acme', { password_hashes: 8 }, { critical: 2, high: 2, moderate: 2 }],
      ['globex', { password_hashes: 3 }, { critical: 1, high: 1, moderate: 0 }],
    ]);
    expect(scope.totals.hash_tiers).toEqual({ critical: 3, high: 3, moderate: 2 });
  });

  it('shows the account its own tiers: customer view and Article 33 evidence, JSON and HTML', async () => {
    const session = await signIn(deps, acme, users.admin as User);
    const view = (await app.inject({ url: '/api/v2/security/incidents.json', headers: session.headers })).json<SecurityIncidentsWire>();
    expect(view.incidents.map((incident) => incident.password_hash_tiers)).toEqual([{ critical: 2, high: 2, moderate: 2 }]);

    const evidence = await app.inject({ url: `/api/v2/security/incidents/${incidentId}/evidence.json`, headers: session.headers });
    expect(evidence.statusCode).toBe(200);
    const body = evidence.json<EvidenceWire>();
    expect(body.records.password_hashes_by_tier).toEqual({ critical: 2, high: 2, moderate: 2 });
    expect(body.password_hash_strength.map((row) => [row.tier, row.credentials])).toEqual([
      ['critical', 2],
      ['high', 2],
      ['moderate', 2],
    ]);
    const html = await app.inject({ url: `/api/v2/security/incidents/${incidentId}/evidence.json?format=html`, headers: session.headers });
    expect(html.body).toContain('Password hashes by strength at exposure time');
    expect(html.body).toMatch(/<td>critical<\/td><td>2<\/td><td>salted SHA-1 or SHA-256/);
  });

  it('says the tier counts in the customer notice, in English and in French', async () => {
    const incident = await findIncident(deps.db, incidentId);
    if (incident === undefined) throw new Error('no incident');
    const accounts = await listNoticeAccounts(deps.db, incidentId, 1, 0, 10);
    const facts = { advisoryUrl: null, measures: [], passwordApiUsers: 0 };
    const rendered = await Promise.all(
      accounts.map(async (account) =>
        renderMessage(
          'customer_incident_notice',
          account.locale,
          await customerNoticeData(deps, incident, 1, account, facts),
          vendorIdentity({}),
        ),
      ),
    );
    const [en, fr] = rendered;
    expect(en?.text).toContain('The exposed password hashes of your users, by how they were stored at the time of the exposure');
    expect(en?.text).toContain('  - Critical: 2, stored with salted SHA-1 or SHA-256');
    expect(en?.text).toContain('  - High: 2, stored with PBKDF2 under 100,000 iterations or bcrypt under cost 10');
    expect(en?.text).toContain('  - Moderate: 2,');
    expect(en?.html).toContain('Critical: 2, stored with salted SHA-1 or SHA-256');
    expect(fr?.text).toContain('Les empreintes de mot de passe exposées de vos utilisateurs');
    expect(fr?.text).toContain('  - Risque critique : 1, enregistrées en SHA-1 ou SHA-256 salé');
    expect(fr?.text).toContain('  - Risque élevé : 1,');
    expect(fr?.text).toContain('  - Risque modéré : 0,');
  });

  it('drafts a weakest-first campaign that revokes critical targets’ API passwords, with its targets by tier', async () => {
    const response = await app.inject({
      method: 'POST',
      url: `/ops/v1/incidents/${incidentId}/campaigns`,
      headers: staff.headers,
      payload: {
        selector: { field: 'user.realm', op: 'eq', value: 'core' },
        batch_size: 2,
        order: 'weakest_first',
        revoke_api_passwords: 'critical',
      },
    });
    expect(response.statusCode).toBe(201);
    const { campaign } = response.json<{ campaign: DraftedCampaignWire }>();
    campaignId = campaign.id;
    expect(campaign).toMatchObject({
      order: 'weakest_first',
      revoke_api_passwords: 'critical',
      targets_by_tier: null,
      api_passwords_revoked: null,
    });
    expect(campaign.dry_run).toMatchObject({ targets: 8, by_tier: { critical: 3, high: 3, moderate: 2 } });

    const refused = await app.inject({
      method: 'POST',
      url: `/ops/v1/incidents/${incidentId}/campaigns`,
      headers: staff.headers,
      payload: { selector: { field: 'user.realm', op: 'eq', value: 'core' }, order: 'strongest_first' },
    });
    expect(refused.statusCode).toBe(400);
  });

  it('revokes email:password API access of critical targets at once when it starts; high ones keep it until their batch', async () => {
    const started = await app.inject({ method: 'POST', url: `/ops/v1/campaigns/${campaignId}/start`, headers: staff.headers });
    expect(started.statusCode).toBe(200);
    const campaign = await getCampaign(deps, campaignId);
    expect(campaign).toMatchObject({ state: 'running', targetsByTier: { critical: 3, high: 3, moderate: 2 }, apiPasswordsRevoked: 3 });
    // Critical batches first (0, 1), then high (2, 3), then moderate (4); no batch mixes tiers.
    const targets = await deps.db
      .selectFrom('campaign_targets')
      .select(['batch', 'hash_tier', 'user_id'])
      .where('campaign_id', '=', campaignId)
      .orderBy('batch')
      .orderBy('user_id')
      .execute();
    expect(targets.map((target) => [Number(target.batch), target.hash_tier])).toEqual([
      [0, 'critical'],
      [0, 'critical'],
      [1, 'critical'],
      [2, 'high'],
      [2, 'high'],
      [3, 'high'],
      [4, 'moderate'],
      [4, 'moderate'],
    ]);
    expect(campaign.batches).toBe(5);
    // Only the critical tier's batches are queued: the batch that completes a tier queues the next.
    expect(await queuedBatches()).toEqual([0, 1]);

    const ana = await basicAuth(acme, 'ana@acme.test', PASSWORD);
    expect(ana.statusCode).toBe(401);
    expect(ana.json()).toMatchObject({ error: 'PasswordApiAccessRevoked' });
    expect(ana.json<{ description: string }>().description).toMatch(/Set a new password/);
    expect((await basicAuth(acme, 'bob@acme.test', PASSWORD)).statusCode).toBe(200);
    // The web still takes it (to choose a new one), and API tokens and OAuth are untouched.
    const revokedEvents = await deps.db
      .selectFrom('audit_events')
      .select(['account_id', 'data'])
      .where('action', '=', 'password.api_access_revoked')
      .orderBy('account_id')
      .execute();
    expect(revokedEvents.map((event) => [Number(event.account_id), JSON.parse(event.data) as unknown])).toEqual([
      [acme.id, { incident_id: incidentId, tiers: ['critical'], users: 2 }],
      [globex.id, { incident_id: incidentId, tiers: ['critical'], users: 1 }],
    ]);
  });

  it('flags critical targets first, then high, then moderate, each once, and a batch run twice changes nothing', async () => {
    await deps.jobs.start();
    for (let view = await getCampaign(deps, campaignId); view.state === 'running'; view = await getCampaign(deps, campaignId)) {
      await deps.jobs.drain();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await getCampaign(deps, campaignId)).toMatchObject({ state: 'done', progress: { done: 8, total: 8 } });
    expect(await queuedBatches()).toEqual([0, 1, 2, 3, 4]);
    const byTier = await deps.db
      .selectFrom('campaign_targets')
      .select((eb) => ['hash_tier', eb.fn.min('flagged_at').as('first'), eb.fn.max('flagged_at').as('last')])
      .where('campaign_id', '=', campaignId)
      .groupBy('hash_tier')
      .execute();
    const window = new Map(byTier.map((row) => [row.hash_tier, { first: String(row.first), last: String(row.last) }]));
    expect(window.get('critical')!.last < window.get('high')!.first).toBe(true);
    expect(window.get('high')!.last < window.get('moderate')!.first).toBe(true);
    for (const batch of [0, 2, 4]) expect(await applyCampaignBatch(deps, campaignId, batch)).toEqual({ applied: false });
    const flagged = await deps.db
      .selectFrom('password_credentials')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('must_change_incident_id', '=', incidentId)
      .executeTakeFirstOrThrow();
    expect(Number(flagged.n)).toBe(8);
    const forced = await deps.db
      .selectFrom('audit_events')
      .select(['account_id', 'data'])
      .where('action', '=', 'password.rotation_forced')
      .execute();
    expect(forced.reduce((sum, event) => sum + (JSON.parse(event.data) as { users: number }).users, 0)).toBe(8);
  });

  it('gives API password access back with a new password', async () => {
    const account = acme;
    const ana = users.ana as User;
    expect((await basicAuth(account, 'ana@acme.test', PASSWORD)).statusCode).toBe(401);
    const fresh = 'a brand new passphrase 2026';
    await changePassword(deps, { account, user: ana, newPassword: fresh, actor: { type: 'user', id: Number(ana.id) }, reason: 'self' });
    const response = await basicAuth(account, 'ana@acme.test', fresh);
    expect(response.statusCode).toBe(200);
    const credential = await deps.db
      .selectFrom('password_credentials')
      .select(['api_revoked_at', 'api_revoked_incident_id', 'must_change', 'superseded_hash_tier'])
      .where('account_id', '=', account.id)
      .where('user_id', '=', ana.id)
      .executeTakeFirstOrThrow();
    expect(credential).toEqual({ api_revoked_at: null, api_revoked_incident_id: null, must_change: 0, superseded_hash_tier: null });
    // Gus, also critical, stays revoked until he chooses one.
    expect((await basicAuth(account, 'gus@acme.test', PASSWORD)).json()).toMatchObject({ error: 'PasswordChangeRequired' });
  });
});
