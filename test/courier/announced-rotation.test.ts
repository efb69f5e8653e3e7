import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { defineJobs } from '../../src/main.js';
import { changePassword } from '../../src/modules/auth/passwords/passwords.service.js';
import { campaignCompletion, createCampaign, getCampaign } from '../../src/modules/incidents/campaigns.service.js';
import { startScheduledCampaign } from '../../src/modules/incidents/campaign-start.service.js';
import { declareIncident, getIncident } from '../../src/modules/incidents/incidents.service.js';
import { FixedClock } from '../../src/platform/clock.js';
import { createJobQueue } from '../../src/platform/jobs/jobs.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { createTestStaff, staffSignIn } from '../support/staff-fixtures.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { insertPasswordCredential, insertUser } from '../support/identity-fixtures.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { waitUntil } from '../support/wait-until.js';
import { IN_ORDER } from '../support/in-order.js';

const CUTOFF = '2016-11-01T00:00:00.000Z';
const actor = { type: 'cli' as const };
const selector = { all: [{ field: 'user.realm', op: 'eq', value: 'core' }] };
/** How far ahead the rotation is announced: long enough for the notices and a user's change to land first. */
const LEAD_MS = 6_000;

describe.each(backends)(
  'an announced rotation on %s, in order: the restart stops the first process’s queue, and signing staff in moves the clock',
  IN_ORDER,
  (backend) => {
    let database: TestDatabase;
    let deps: ReturnType<typeof testDeps>;
    let smtp: SmtpTestServer;
    let acme: Account;
    let users: Record<'ana' | 'bob' | 'zoe', User>;

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      smtp = await new SmtpTestServer().start();
      // The clock starts at the real time: PostgreSQL's queue runs a job by the database's clock.
      deps = testDeps(database, new FixedClock(new Date()));
      deps.config = { ...deps.config, smtpUrl: smtp.url() };
      acme = await insertAccount(deps.db, 'acme', { name: 'Acme', activated_at: '2015-03-02T00:00:00.000Z' });
      const globex = await insertAccount(deps.db, 'globex', { name: 'Globex', locale: 'fr', activated_at: '2015-03-02T00:00:00.000Z' });
      const old = { password_changed_at: '2015-02-01T00:00:00.000Z' };
      users = {
        ana: await insertPasswordCredential(deps.db, await insertUser(deps.db, acme, 'ana@acme.test', { name: 'Ana' }), old),
        bob: await insertPasswordCredential(deps.db, await insertUser(deps.db, acme, 'bob@acme.test', { name: 'Bob' }), old),
        zoe: await insertPasswordCredential(deps.db, await insertUser(deps.db, globex, 'zoe@globex.test', { name: 'Zoé' }), old),
      };
      await deps.jobs.start();
    });
    afterAll(async () => {
      await smtp.stop();
      await database.dispose();
    });

    const credentialOf = (user: User) =>
      deps.db
        .selectFrom('password_credentials')
        .select(['must_change', 'must_change_reason'])
        .where('account_id', '=', user.account_id)
        .where('user_id', '=', user.id)
        .executeTakeFirstOrThrow();

    it('tells the targets in advance, leaves alone who changes before the batch, and flags the rest at the scheduled time', async () => {
      const incident = await declareIncident(deps, {
        title: 'Database copy of 2016',
        becameAwareAt: '2016-12-01T00:00:00Z',
        cutoff: CUTOFF,
        actor,
      });
      const startAt = new Date(deps.clock.now().getTime() + LEAD_MS).toISOString();
      const created = await createCampaign(deps, { incidentId: incident.id, selector, startAt, actor });
      expect(created).toMatchObject({ state: 'scheduled', startAt, progress: { done: 0, total: 3 } });

      // The advance notice, over SMTP, in each user's language, saying when and where to change now.
      await waitUntil(() => smtp.accepted.length >= 3, { message: 'the three advance notices' });
      const byRecipient = new Map(smtp.accepted.map((accepted) => [accepted.to[0], accepted.mail]));
      const ana = byRecipient.get('ana@acme.test');
      expect(ana?.subject).toBe('Coming soon: a new password for Acme');
      expect(ana?.text).toContain('we will start requiring a new password for your Acme account on');
      expect(ana?.text).toContain('http://acme.localhost:3000/access/password_reset');
      const zoe = byRecipient.get('zoe@globex.test');
      expect(zoe?.subject).toBe('Bientôt : un nouveau mot de passe pour Globex');
      expect(zoe?.text).toContain('Changez votre mot de passe dès maintenant');
      expect(await credentialOf(users.bob)).toMatchObject({ must_change: 0 });

      // Ana follows the advice before her batch runs.
      await changePassword(deps, {
        account: acme,
        user: users.ana,
        newPassword: 'a fresh and long passphrase 2026',
        actor,
        reason: 'admin',
        clientIp: null,
      });

      deps.clock.advance(LEAD_MS);
      await waitUntil(async () => (await getCampaign(deps, created.id)).state === 'done', {
        message: 'the campaign to start at its time and finish',
        timeoutMs: 30_000,
      });
      expect(await credentialOf(users.ana)).toMatchObject({ must_change: 0 });
      expect(await credentialOf(users.bob)).toMatchObject({ must_change: 1, must_change_reason: 'incident' });
      expect(await credentialOf(users.zoe)).toMatchObject({ must_change: 1, must_change_reason: 'incident' });
      const completion = await campaignCompletion(deps, created.id);
      expect(completion).toMatchObject({ flagged: 2, changedBeforeRotation: 1 });
      expect(completion.accounts.find((account) => account.subdomain === 'acme')).toMatchObject({ flagged: 1, changedBeforeRotation: 1 });
      const timeline = (await getIncident(deps, incident.id)).timeline.map((event) => event.kind);
      expect(timeline).toEqual(expect.arrayContaining(['campaign_scheduled', 'campaign_started', 'campaign_finished']));
      expect(smtp.accepted).toHaveLength(3);
    });

    it('refuses a start in the past or not a time, saying what to do', async () => {
      const incident = await declareIncident(deps, { title: 'Second copy', becameAwareAt: '2016-12-01T00:00:00Z', cutoff: CUTOFF, actor });
      await expect(createCampaign(deps, { incidentId: incident.id, selector, startAt: '2016-01-01T00:00:00Z', actor })).rejects.toThrow(
        /start_at must be in the future/,
      );
      await expect(createCampaign(deps, { incidentId: incident.id, selector, startAt: 'tomorrow', actor })).rejects.toThrow(/ISO 8601/);
    });

    it('keeps the scheduled start across a restart, and starts it once when two processes run it', async () => {
      const incident = await declareIncident(deps, { title: 'Third copy', becameAwareAt: '2016-12-01T00:00:00Z', cutoff: CUTOFF, actor });
      // Nothing of this process runs jobs from here: the start waits in the database.
      await deps.jobs.stop();
      const startAt = new Date(deps.clock.now().getTime() + 2_000).toISOString();
      const created = await createCampaign(deps, { incidentId: incident.id, selector, startAt, actor });
      // Two processes come up afterwards, each with its own queue over the same database.
      const workers = [
        createJobQueue(database, { clock: deps.clock, pollIntervalMs: 50 }),
        createJobQueue(database, { clock: deps.clock, pollIntervalMs: 50 }),
      ];
      for (const jobs of workers) defineJobs({ ...deps, jobs });
      deps.clock.advance(2_000);
      await Promise.all(workers.map((jobs) => jobs.start()));
      try {
        await waitUntil(async () => (await getCampaign(deps, created.id)).state === 'done', {
          message: 'a restarted worker to start the campaign',
          timeoutMs: 30_000,
        });
        // A late second run of the start (a duplicate delivery) changes nothing.
        expect(await startScheduledCampaign(deps, created.id)).toBeUndefined();
      } finally {
        await Promise.all(workers.map((jobs) => jobs.stop()));
      }
      const started = (await getIncident(deps, incident.id)).timeline.filter((event) => event.kind === 'campaign_started');
      expect(started).toHaveLength(1);
      const audits = await deps.db
        .selectFrom('audit_events')
        .select('action')
        .where('action', '=', 'rotation_campaign.started')
        .where('target_id', '=', String(created.id))
        .execute();
      expect(audits).toHaveLength(1);
    });
    it('schedules over the ops API, for operators only, and a cancelled schedule never starts', async () => {
      const app = await buildTestApp(deps);
      try {
        const operator = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'olga@vendor.test', 'operator'));
        const support = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'sam@vendor.test', 'support'));
        const incident = await declareIncident(deps, { title: 'Ops copy', becameAwareAt: '2016-12-01T00:00:00Z', cutoff: CUTOFF, actor });
        const base = `/ops/v1/incidents/${incident.id}/campaigns`;
        const startAt = new Date(deps.clock.now().getTime() + 3_600_000).toISOString();
        const refused = await app.inject({ method: 'POST', url: base, headers: support.headers, payload: { selector, start_at: startAt } });
        expect(refused.statusCode).toBe(403);
        const past = await app.inject({
          method: 'POST',
          url: base,
          headers: operator.headers,
          payload: { selector, start_at: '2016-01-01T00:00:00Z' },
        });
        expect(past.statusCode).toBe(422);
        expect(past.json<{ description: string }>().description).toContain('start_at must be in the future');

        const scheduled = await app.inject({
          method: 'POST',
          url: base,
          headers: operator.headers,
          payload: { selector, start_at: startAt },
        });
        expect(scheduled.statusCode).toBe(201);
        expect(scheduled.json()).toMatchObject({ campaign: { state: 'scheduled', start_at: startAt, dry_run: { targets: 2 } } });

        const draft = await app.inject({ method: 'POST', url: base, headers: operator.headers, payload: { selector } });
        const draftId = draft.json<{ campaign: { id: number } }>().campaign.id;
        const later = await app.inject({
          method: 'POST',
          url: `/ops/v1/campaigns/${draftId}/schedule`,
          headers: operator.headers,
          payload: { start_at: startAt },
        });
        expect(later.json()).toMatchObject({ campaign: { id: draftId, state: 'scheduled', start_at: startAt, progress: { total: 2 } } });
        const again = await app.inject({
          method: 'POST',
          url: `/ops/v1/campaigns/${draftId}/schedule`,
          headers: operator.headers,
          payload: { start_at: startAt },
        });
        expect(again.statusCode).toBe(409);

        const cancelled = await app.inject({ method: 'POST', url: `/ops/v1/campaigns/${draftId}/cancel`, headers: operator.headers });
        expect(cancelled.json()).toMatchObject({ campaign: { state: 'cancelled' } });
        expect(await startScheduledCampaign(deps, draftId)).toBeUndefined();
        expect((await getCampaign(deps, draftId)).state).toBe('cancelled');
      } finally {
        await app.close();
      }
    });
  },
);
