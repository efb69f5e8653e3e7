import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCampaign, getCampaign, requeueCampaign } from '../../src/modules/incidents/campaigns.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { verifyAuditChains } from '../../src/platform/audit/audit.service.js';
import { FixedClock } from '../../src/platform/clock.js';
import { testDeps, testKeyring } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertCampaignPopulation } from '../support/campaign-population.js';
import { waitUntil } from '../support/wait-until.js';

const USERS = 20_000;
const ACCOUNTS = 40;
const BATCH = 100;
const CUTOFF = '2016-11-01T00:00:00.000Z';
const SELECTOR = {
  all: [
    { field: 'user.realm', op: 'eq', value: 'core' },
    { field: 'user.password_changed_at', op: 'before', value: CUTOFF },
  ],
};

/** 20,000 users over 40 accounts; every tenth changed its password after the cutoff, so it is exempt. */
const population = async (database: TestDatabase): Promise<number> =>
  (await insertCampaignPopulation(database.db, { accounts: ACCOUNTS, usersPerAccount: USERS / ACCOUNTS })).size;

function startRunner(database: TestDatabase, campaignId: number): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, RIPOSTE_DATA_DIR: database.dataDir };
  delete env.DATABASE_URL;
  if (database.databaseUrl !== undefined) env.DATABASE_URL = database.databaseUrl;
  return spawn(process.execPath, ['--import', 'tsx', path.resolve('test/fixtures/campaign-runner.ts'), String(campaignId)], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

describe.each(backends)('a rotation campaign killed with SIGKILL on %s', (backend) => {
  let database: TestDatabase;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await database.dispose();
  });

  it.each(['by_account', 'weakest_first'])(
    'resumes (%s) to exactly the target set, each flagged once, with an intact audit trail',
    async (order) => {
      const targets = await population(database);
      const deps = testDeps(database, new FixedClock('2026-06-01T12:00:00.000Z'));
      const incident = await declareIncident(deps, {
        title: 'Kill test',
        becameAwareAt: '2026-05-30T09:00:00Z',
        cutoff: CUTOFF,
        actor: { type: 'cli' },
      });
      const draft = await createCampaign(deps, { incidentId: incident.id, selector: SELECTOR, batchSize: BATCH, order });
      expect(draft.dryRun.targets).toBe(targets);

      const runner = startRunner(database, draft.id);
      child = runner;
      const exited = new Promise<NodeJS.Signals | null>((resolve) => runner.once('exit', (_code, signal) => resolve(signal)));
      // Kill once the first batches are in, polling the database the child writes.
      await waitUntil(
        async () => {
          const row = await database.db.selectFrom('rotation_campaigns').select('done').where('id', '=', draft.id).executeTakeFirst();
          return row !== undefined && Number(row.done) >= 3 * BATCH;
        },
        { message: `the child process to flag ${3 * BATCH} targets before it is killed`, intervalMs: 10 },
      );
      runner.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      child = undefined;

      const killedAt = await getCampaign(deps, draft.id);
      expect(killedAt.state).toBe('running');
      expect(killedAt.progress.done).toBeLessThan(targets);

      await requeueCampaign(deps, draft.id);
      await deps.jobs.start();
      // A weakest-first campaign queues each tier's batches as the one before completes.
      while ((await getCampaign(deps, draft.id)).state === 'running') await deps.jobs.drain();

      expect(await getCampaign(deps, draft.id)).toMatchObject({ state: 'done', progress: { done: targets, total: targets } });
      const flagged = await database.db
        .selectFrom('password_credentials')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('must_change', '=', 1)
        .where('must_change_incident_id', '=', incident.id)
        .executeTakeFirstOrThrow();
      expect(Number(flagged.n)).toBe(targets);
      const exempt = await database.db
        .selectFrom('password_credentials')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('must_change', '=', 1)
        .where('password_changed_at', '>=', CUTOFF)
        .executeTakeFirstOrThrow();
      expect(Number(exempt.n)).toBe(0);
      // Each target counted in exactly one committed batch: the audit events add up to the target set.
      const events = await database.db.selectFrom('audit_events').select('data').where('action', '=', 'password.rotation_forced').execute();
      const audited = events.reduce((sum, event) => sum + (JSON.parse(event.data) as { users: number }).users, 0);
      expect(audited).toBe(targets);
      expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
    },
  );
});
