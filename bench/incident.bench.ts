/**
 * Incident benchmark: `npm run bench:incident [-- --users N]` (default 1,000,000).
 *
 * 1. Generates N users over N/100 accounts with the demo generator (hashes
 *    well-formed, not computed) and imports them with the real import service,
 *    in a child process of its own (its time and peak RSS printed apart), into
 *    a fresh SQLite data directory, or, with DATABASE_URL set, into a fresh
 *    PostgreSQL database on that server.
 * 2. Scope: `count(*)` over the seed selector's users (DESIGN.md's example).
 * 3. Rotation: a campaign over the seed selector, drafted (dry run), started
 *    (target set frozen) and run batch by batch through the job queue, as
 *    `riposte incident campaign run` does.
 * 4. Baseline, same run: ONE raw `UPDATE password_credentials SET must_change = 1`
 *    over the same targets, on a fresh copy of the data taken before the
 *    campaign (SQLite: a copy of the database file; PostgreSQL: a database
 *    created from the imported one as its template).
 *
 * Prints each time, users flagged a second, the ratio of the campaign rate to the raw UPDATE rate, and each process's peak RSS.
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { rotationBatchJob } from '../src/modules/incidents/campaigns.jobs.js';
import { createCampaign, getCampaign } from '../src/modules/incidents/campaigns.service.js';
import { startCampaign } from '../src/modules/incidents/campaign-start.service.js';
import { applyCampaignBatch } from '../src/modules/incidents/rotation-batch.service.js';
import { declareIncident } from '../src/modules/incidents/incidents.service.js';
import { compileUserSelector, selectUsersMatching } from '../src/modules/incidents/selectors/selector.compile.js';
import { parseSelector } from '../src/modules/incidents/selectors/selector.model.js';
import { SEED_ROTATION_SELECTOR } from '../src/modules/incidents/sample-incident.js';
import { importPopulation } from '../src/modules/population/import.service.js';
import { systemClock } from '../src/platform/clock.js';
import { loadKeyring } from '../src/platform/crypto/keyring.js';
import { createJobQueue } from '../src/platform/jobs/jobs.js';
import { numericArgument, writePopulationFiles } from './bench-population.js';

const users = numericArgument('users', 1_000_000);
const accounts = numericArgument('accounts', Math.max(6, Math.round(users / 100)));
const batchSize = numericArgument('batch-size', 10_000);
const databaseUrl = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;
const seconds = (from: number): number => (performance.now() - from) / 1000;
const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const CUTOFF = '2016-11-01T00:00:00Z';

/** DESIGN.md's seed selector. */
const SEED_SELECTOR = parseSelector(SEED_ROTATION_SELECTOR);

/** The same rows as the campaign's targets: the selector, with a password, not SSO, set before the cutoff. */
function rawTargets(handle: DatabaseHandle) {
  return compileUserSelector(handle.db, SEED_SELECTOR)
    .where('password_credentials.user_id', 'is not', null)
    .where('users.sso', '=', 0)
    .where('password_credentials.password_changed_at', '<', new Date(CUTOFF).toISOString())
    .select(['users.account_id', 'users.id']);
}

async function rawUpdate(handle: DatabaseHandle): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  const result = await sql`update password_credentials set must_change = 1, must_change_reason = 'incident'
    where (account_id, user_id) in (${rawTargets(handle)})`.execute(handle.db);
  return { rows: Number(result.numAffectedRows ?? 0), seconds: seconds(started) };
}

/** A database of its own on the DATABASE_URL server, made from `template` (an empty one without); dropped by `drop`. */
async function postgresDatabase(template?: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `riposte_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(template === undefined ? `create database ${name}` : `create database ${name} template ${template}`);
  await admin.end();
  const url = new URL(databaseUrl ?? '');
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-bench-incident-'));
  const filesDir = path.join(root, 'files');
  fs.mkdirSync(filesDir);
  const postgres = databaseUrl === undefined ? undefined : await postgresDatabase();
  const backend = postgres === undefined ? 'SQLite' : 'PostgreSQL';
  try {
    process.stdout.write(
      `incident bench: ${count(users)} users, ${count(accounts)} accounts, ${backend}, ${os.cpus().length} CPU(s), Node ${process.version}\n`,
    );
    let started = performance.now();
    await writePopulationFiles(filesDir, accounts, users);
    const generatedSeconds = seconds(started);
    const dataDir = path.join(root, 'data');
    started = performance.now();
    const imported = await importInChildProcess(filesDir, dataDir, postgres?.url);
    process.stdout.write(
      `  generated in ${generatedSeconds.toFixed(1)} s, imported in ${seconds(started).toFixed(1)} s (${count(users / seconds(started))} users/s; a process of its own, peak RSS ${imported.maxRssMb.toFixed(0)} MB)\n`,
    );
    let handle = openDatabase({ databaseUrl: postgres?.url, dataDir });

    // The baseline runs on a fresh copy of the same data, so the campaign meets none of its row versions.
    await handle.close();
    let baseline: { rows: number; seconds: number };
    if (postgres === undefined) {
      // Closing checkpointed the WAL into the file.
      const copyDir = path.join(root, 'baseline');
      fs.mkdirSync(copyDir, { mode: 0o700 });
      fs.copyFileSync(path.join(dataDir, 'riposte.sqlite'), path.join(copyDir, 'riposte.sqlite'));
      const copy = openDatabase({ databaseUrl: undefined, dataDir: copyDir });
      baseline = await rawUpdate(copy);
      await copy.close();
    } else {
      const copyDatabase = await postgresDatabase(postgres.name);
      const copy = openDatabase({ databaseUrl: copyDatabase.url, dataDir });
      baseline = await rawUpdate(copy);
      await copy.close();
      await copyDatabase.drop();
    }
    handle = openDatabase({ databaseUrl: postgres?.url, dataDir });

    started = performance.now();
    const scoped = await handle.db
      .selectFrom(selectUsersMatching(handle.db, SEED_SELECTOR).as('matching'))
      .select((eb) => eb.fn.countAll<number>().as('users'))
      .executeTakeFirstOrThrow();
    const scopeSeconds = seconds(started);

    const jobs = createJobQueue(handle, { clock: systemClock, concurrency: 1, pollIntervalMs: 50 });
    const deps = { db: handle.db, clock: systemClock, keyring: loadKeyring({ keys: undefined, dataDir }), jobs };
    jobs.define(rotationBatchJob, async ({ payload }) => {
      await applyCampaignBatch(deps, payload.campaignId, payload.batch);
    });
    const incident = await declareIncident(deps, {
      title: 'Bench',
      becameAwareAt: new Date().toISOString(),
      cutoff: CUTOFF,
      actor: { type: 'cli' },
    });
    started = performance.now();
    const draft = await createCampaign(deps, { incidentId: incident.id, selector: SEED_SELECTOR, batchSize });
    const draftSeconds = seconds(started);
    started = performance.now();
    await startCampaign(deps, draft.id);
    const frozenSeconds = seconds(started);
    await jobs.start();
    let view = await getCampaign(deps, draft.id);
    while (view.state === 'running') {
      await jobs.drain();
      view = await getCampaign(deps, draft.id);
    }
    const runSeconds = seconds(started);
    await jobs.stop();
    const flagged = await handle.db
      .selectFrom('password_credentials')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('must_change_incident_id', '=', incident.id)
      .executeTakeFirstOrThrow();
    await handle.close();
    if (Number(flagged.n) !== baseline.rows || view.progress.total !== baseline.rows || draft.dryRun.targets !== baseline.rows)
      throw new Error(`targets differ: campaign ${view.progress.total} (flagged ${flagged.n}), raw UPDATE ${baseline.rows}`);

    const campaignSeconds = draftSeconds + runSeconds;
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
      [
        `  scope (seed selector, count): ${count(Number(scoped.users))} users in ${scopeSeconds.toFixed(2)} s`,
        `  campaign: dry run ${draftSeconds.toFixed(2)} s (${count(draft.dryRun.targets)} targets, exempt ${JSON.stringify(draft.dryRun.exempt)})`,
        `            start (freeze ${count(view.progress.total)} targets) ${frozenSeconds.toFixed(2)} s, start + ${view.batches} batches ${runSeconds.toFixed(2)} s`,
        `            total ${campaignSeconds.toFixed(2)} s: ${count(baseline.rows / campaignSeconds)} users/s (run alone ${count(baseline.rows / runSeconds)} users/s)`,
        `  raw UPDATE of the same ${count(baseline.rows)} rows: ${baseline.seconds.toFixed(2)} s, ${count(baseline.rows / baseline.seconds)} rows/s`,
        `  ratio campaign rate / raw UPDATE rate: ${(baseline.seconds / campaignSeconds).toFixed(2)} (run alone ${(baseline.seconds / runSeconds).toFixed(2)})`,
        `  peak RSS of this process (scope and campaign; the import's is above): ${maxRssMb.toFixed(0)} MB`,
      ].join('\n') + '\n',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    await postgres?.drop();
  }
}

/** The import, measured apart: a child process running the real import service, which reports its own peak RSS. */
async function importInChildProcess(filesDir: string, dataDir: string, url: string | undefined): Promise<{ maxRssMb: number }> {
  const child = fork(fileURLToPath(import.meta.url), [IMPORT_ONLY, filesDir, dataDir], {
    env: { ...process.env, DATABASE_URL: url ?? '' },
    execArgv: process.execArgv,
  });
  const [report] = (await once(child, 'message')) as [{ maxRssMb: number }];
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the import process exited with ${code}`);
  return report;
}

async function importOnly(filesDir: string, dataDir: string): Promise<void> {
  const handle = openDatabase({ databaseUrl, dataDir });
  await migrateToLatest(handle.db);
  await importPopulation(handle, filesDir, { clock: systemClock, keyring: loadKeyring({ keys: undefined, dataDir }) });
  await handle.close();
  process.send?.({ maxRssMb: process.resourceUsage().maxRSS / 1024 });
}

const IMPORT_ONLY = '--import-only';
const importOnlyAt = process.argv.indexOf(IMPORT_ONLY);
if (importOnlyAt >= 0) await importOnly(process.argv[importOnlyAt + 1] ?? '', process.argv[importOnlyAt + 2] ?? '');
else await main();
