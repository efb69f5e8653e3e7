/**
 * Riposte as a cluster on one PostgreSQL (README, "Process roles"): two API
 * processes and two worker processes, each a real `riposte serve --role …`
 * started here. What one API process changes, the other honours within the
 * bound the README states; rate limits and the password budget count across
 * both; a campaign's batches are shared by the two workers, and only by them,
 * with every target flagged exactly once.
 *
 * Which process committed what is read from PostgreSQL itself: each process
 * connects with its own `application_name` (in its DATABASE_URL), and a
 * trigger this test adds to its own database notes the name of the session
 * that flags each credential, in the flagging transaction.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import tls from 'node:tls';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../../src/config/defaults.js';
import { IDENTITY_CHANGE_BOUND_MS } from '../../src/db/identity-changes.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { ensureDefaultCertificate } from '../../src/modules/certificates/default-certificate.js';
import { createCampaign } from '../../src/modules/incidents/campaigns.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { createStaffUser, type CreatedStaffUser } from '../../src/modules/staff/staff.service.js';
import { totpCodeAt } from '../../src/modules/staff/totp.js';
import { verifyAuditChains } from '../../src/platform/audit/audit.service.js';
import { FixedClock } from '../../src/platform/clock.js';
import { testDeps } from '../support/app.js';
import { openTestDatabase, postgresAvailable, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { insertPasswordCredential, insertUser } from '../support/identity-fixtures.js';
import { insertCampaignPopulation } from '../support/campaign-population.js';
import { IN_ORDER } from '../support/in-order.js';
import { CertificateWorkbench, type TestCertificate } from '../support/test-certificates.js';
import { waitUntil } from '../support/wait-until.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAPPED = 'help.acme.test';
const ACME_HOST = 'acme.localhost';
const OPS_HOST = 'localhost';
/** README, "Process roles": a certificate activated or revoked through one process is served by every other within this. */
const CERTIFICATE_CHANGE_BOUND_MS = 2_000;
/** `RIPOSTE_PASSWORD_RATE_LIMIT` of every process: reset requests and password checks a minute per client address. */
const PASSWORD_RATE_LIMIT = 6;
const ADMIN = { email: 'admin@acme.test', password: 'cluster admin password 1' };
const AGENT = { email: 'agent@acme.test', password: 'cluster agent password 1' };
/**
 * Client addresses (all loopback): the rate limit and the password budget
 * count per address, so each check spends its own, apart from the setup's.
 */
const FROM = { setup: '127.0.0.1', resetLimit: '127.0.0.3', passwordBudget: '127.0.0.4' } as const;

// The campaign's population: enough small batches that a single worker would need several of its 2 s polls.
const ACCOUNTS = 2;
const USERS_PER_ACCOUNT = 900;
const BATCH_SIZE = 6;
const CUTOFF = '2016-11-01T00:00:00.000Z';

type Role = 'api' | 'worker';

interface Riposte {
  name: string;
  port: number;
  /** 0 for a worker: it serves no HTTPS. */
  httpsPort: number;
  /** What it wrote on stdout (logs) and stderr, for a failure's message. */
  output: string[];
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const json = <T>(answer: Answer): T => JSON.parse(answer.body) as T;

/** The environment of a process: nothing of this one's Riposte settings, then the cluster's. */
function clusterEnv(database: TestDatabase, name: string, role: Role): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of settings) {
    // The cheap test hashing cost is inherited on purpose (test-hashing-cost.ts).
    if (setting.env !== 'RIPOSTE_PASSWORD_HASH_MEMORY_KIB' && setting.env !== 'RIPOSTE_PASSWORD_HASH_TIME_COST') delete env[setting.env];
  }
  delete env.RIPOSTE_ROLE;
  const url = new URL(database.databaseUrl ?? '');
  // Each process's sessions carry its name: what the flag trigger records.
  url.searchParams.set('application_name', name);
  return {
    ...env,
    DATABASE_URL: url.toString(),
    RIPOSTE_DATA_DIR: database.dataDir,
    PORT: '0',
    HTTPS_PORT: '0',
    HOST: '127.0.0.1',
    RIPOSTE_BASE_DOMAIN: 'localhost',
    LOG_LEVEL: 'warn',
    RIPOSTE_PASSWORD_RATE_LIMIT: String(PASSWORD_RATE_LIMIT),
    RIPOSTE_PASSWORD_REFUSAL_DELAY_MS: '0',
    // One batch at a time per worker: the campaign then outlasts a worker's poll interval, so both take part.
    ...(role === 'worker' ? { RIPOSTE_JOB_CONCURRENCY: '1' } : {}),
  };
}

const LISTENING = /Riposte \((api|worker)\) is listening on http:\/\/[^\s:]+:(\d+)(?: and https:\/\/[^\s:]+:(\d+))?/;

/**
 * Starts `riposte serve --role ROLE` (the child joins `spawned` at once, so it
 * is stopped even if it never listens) and resolves with its ports once it
 * says it is listening.
 */
async function startRiposte(database: TestDatabase, name: string, role: Role, spawned: ChildProcess[]): Promise<Riposte> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--role', role], {
    cwd: ROOT,
    env: clusterEnv(database, name, role),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return new Promise<Riposte>((resolve, reject) => {
    let stderr = '';
    const failed = (code: number | null, signal: NodeJS.Signals | null): void =>
      reject(new Error(`${name} exited (${code ?? signal}) before it listened:\n${stderr}\n${output.join('')}`));
    child.once('exit', failed);
    let listened = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (listened) return;
      stderr += chunk.toString();
      const listening = LISTENING.exec(stderr);
      if (listening === null) return;
      listened = true;
      child.off('exit', failed);
      if (listening[1] !== role) reject(new Error(`${name} started as ${listening[1]}, not ${role}`));
      resolve({ name, port: Number(listening[2]), httpsPort: Number(listening[3] ?? 0), output });
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with how it ended. */
async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return `already ended (${child.exitCode ?? child.signalCode})`;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code, signal] = await exited;
  clearTimeout(timer);
  return code === null ? `signal ${signal}` : `exit ${code}`;
}

/** One HTTP request to a process, from the given loopback address, with the given Host. */
function request(
  riposte: Riposte,
  options: { method?: string; path: string; host: string; headers?: Record<string, string>; body?: unknown; from?: string },
): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port: riposte.port,
        localAddress: options.from ?? FROM.setup,
        method: options.method ?? 'GET',
        path: options.path,
        agent: false,
        headers: {
          host: options.host,
          ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The fingerprint of the certificate a TLS handshake naming `servername` gets from a process. */
function servedFingerprint(riposte: Riposte, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: riposte.httpsPort, servername, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

/** Users over `ACCOUNTS` accounts with passwords set before the cutoff, every tenth after it (exempt); returns the targets. */
const insertPopulation = (database: TestDatabase): Promise<Set<string>> =>
  insertCampaignPopulation(database.db, { accounts: ACCOUNTS, usersPerAccount: USERS_PER_ACCOUNT, firstUserId: 1_000 });

/** Notes, in the flagging transaction, which session (process) flagged each credential for an incident. */
async function installFlagTrigger(database: TestDatabase): Promise<void> {
  await sql`create table cluster_test_flags (account_id bigint not null, user_id bigint not null, application text not null, tx bigint not null)`.execute(
    database.db,
  );
  await sql`
    create function cluster_test_note_flag() returns trigger language plpgsql as $$
    begin
      insert into cluster_test_flags values (new.account_id, new.user_id, current_setting('application_name'), txid_current());
      return new;
    end $$`.execute(database.db);
  await sql`
    create trigger cluster_test_note_flag after update on password_credentials for each row
    when (new.must_change = 1 and new.must_change_incident_id is distinct from old.must_change_incident_id)
    execute function cluster_test_note_flag()`.execute(database.db);
}

describe.skipIf(!postgresAvailable())('two API and two worker processes on one PostgreSQL, in order', IN_ORDER, () => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let workbench: CertificateWorkbench;
  let leaf: TestCertificate;
  let operator: CreatedStaffUser;
  let targets: Set<string>;
  const spawned: ChildProcess[] = [];
  const cluster: Riposte[] = [];
  const byName = (name: string): Riposte => cluster.find((riposte) => riposte.name === name) as Riposte;
  let adminToken = '';

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    // The key file and the default certificate exist before any process starts, so all four share them.
    deps = testDeps(database, new FixedClock(new Date().toISOString()));
    await ensureDefaultCertificate(database.dataDir, 'localhost', deps.clock);
    workbench = new CertificateWorkbench();
    leaf = workbench.issue({ commonName: MAPPED });

    const acme = await insertAccount(database.db, 'acme', { host_mapping: MAPPED });
    // Passwords set after the cutoff: acme's users are no targets of the campaign.
    const recent = { password_changed_at: new Date().toISOString() };
    const admin = await insertUser(database.db, acme, ADMIN.email, { role: 'admin' });
    await insertPasswordCredential(database.db, admin, { ...recent, password_hash: await hashPassword(ADMIN.password) });
    const agent = await insertUser(database.db, acme, AGENT.email);
    await insertPasswordCredential(database.db, agent, { ...recent, password_hash: await hashPassword(AGENT.password) });
    operator = await createStaffUser(deps, { email: 'olga@vendor.test', name: 'Olga', role: 'operator', actor: { type: 'cli' } });
    targets = await insertPopulation(database);
    await installFlagTrigger(database);

    cluster.push(
      ...(await Promise.all([
        startRiposte(database, 'riposte-api-1', 'api', spawned),
        startRiposte(database, 'riposte-api-2', 'api', spawned),
        startRiposte(database, 'riposte-worker-1', 'worker', spawned),
        startRiposte(database, 'riposte-worker-2', 'worker', spawned),
      ])),
    );
  }, 120_000);

  afterAll(async () => {
    // Only the processes this suite started, by their pid.
    const ended = await Promise.all(spawned.map(async (child) => `${child.pid}: ${await stopChild(child)}`));
    if (ended.some((line) => !line.endsWith('exit 0'))) console.warn(`cluster processes ended: ${ended.join(', ')}`);
    workbench?.dispose();
    await database?.dispose();
  });

  it('API processes serve the API over HTTP and HTTPS; workers serve health and metrics only', async () => {
    const [api1, api2, worker1, worker2] = ['riposte-api-1', 'riposte-api-2', 'riposte-worker-1', 'riposte-worker-2'].map(byName) as [
      Riposte,
      Riposte,
      Riposte,
      Riposte,
    ];
    const created = await request(api1, {
      method: 'POST',
      path: '/api/v2/api_tokens.json',
      host: ACME_HOST,
      headers: { authorization: basic(ADMIN.email, ADMIN.password) },
      body: { api_token: { description: 'cluster test' } },
    });
    expect(created.status, created.body).toBe(201);
    adminToken = json<{ api_token: { token: string } }>(created).api_token.token;
    for (const api of [api1, api2]) {
      expect(api.httpsPort).toBeGreaterThan(0);
      const me = await request(api, {
        path: '/api/v2/users/me.json',
        host: ACME_HOST,
        headers: { authorization: basic(`${ADMIN.email}/token`, adminToken) },
      });
      expect(me.status, me.body).toBe(200);
    }
    for (const worker of [worker1, worker2]) {
      expect(worker.httpsPort).toBe(0);
      expect((await request(worker, { path: '/healthz', host: OPS_HOST })).status).toBe(200);
      expect((await request(worker, { path: '/readyz', host: OPS_HOST })).status).toBe(200);
      const api = await request(worker, {
        path: '/api/v2/users/me.json',
        host: ACME_HOST,
        headers: { authorization: basic(`${ADMIN.email}/token`, adminToken) },
      });
      expect(api.status).toBe(404);
    }
  });

  it('serves a certificate activated through one API process from the other, within the stated bound', async () => {
    const api1 = byName('riposte-api-1');
    const api2 = byName('riposte-api-2');
    const token = { authorization: basic(`${ADMIN.email}/token`, adminToken) };
    // API 2 looks the name up first and keeps its answer (the default certificate) for up to a minute, unless told of a change.
    const before = await servedFingerprint(api2, MAPPED);
    expect(before).not.toBe(leaf.fingerprint);

    const uploaded = await request(api1, {
      method: 'POST',
      path: '/api/v2/certificates.json',
      host: ACME_HOST,
      headers: token,
      body: { certificate: { certificate_pem: leaf.certificatePem, private_key_pem: leaf.keyPem } },
    });
    expect(uploaded.status, uploaded.body).toBe(201);
    const { id } = json<{ certificate: { id: number } }>(uploaded).certificate;
    const activated = await request(api1, {
      method: 'PUT',
      path: `/api/v2/certificates/${id}/activate.json`,
      host: ACME_HOST,
      headers: token,
    });
    expect(activated.status, activated.body).toBe(200);
    const activatedAt = performance.now();
    // The process that activated it serves it at once.
    expect(await servedFingerprint(api1, MAPPED)).toBe(leaf.fingerprint);

    let seenAfterMs = Number.POSITIVE_INFINITY;
    while (performance.now() - activatedAt <= CERTIFICATE_CHANGE_BOUND_MS) {
      if ((await servedFingerprint(api2, MAPPED)) === leaf.fingerprint) {
        seenAfterMs = performance.now() - activatedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(seenAfterMs, `API 2 served the activated certificate within ${CERTIFICATE_CHANGE_BOUND_MS} ms`).toBeLessThanOrEqual(
      CERTIFICATE_CHANGE_BOUND_MS,
    );
    console.info(`certificate: served by the other API process ${Math.round(seenAfterMs)} ms after its activation`);
    // Other names still get the default certificate.
    expect(await servedFingerprint(api2, 'www.acme.test')).toBe(before);
  });

  it('honours an account setting changed through one API process on the other within IDENTITY_CHANGE_BOUND_MS', async () => {
    const api1 = byName('riposte-api-1');
    const api2 = byName('riposte-api-2');
    const password = { authorization: basic(ADMIN.email, ADMIN.password) };
    const token = { authorization: basic(`${ADMIN.email}/token`, adminToken) };
    // Before: API 2 accepts email:password (and keeps the account it resolved for the host).
    const accepted = await request(api2, { path: '/api/v2/users/me.json', host: ACME_HOST, headers: password });
    expect(accepted.status, accepted.body).toBe(200);

    const changed = await request(api1, {
      method: 'PUT',
      path: '/api/v2/account/settings.json',
      host: ACME_HOST,
      headers: token,
      body: { settings: { api: { api_password_access: false } } },
    });
    expect(changed.status, changed.body).toBe(200);
    expect(json<{ settings: { api: { api_password_access: boolean } } }>(changed).settings.api.api_password_access).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, IDENTITY_CHANGE_BOUND_MS));

    const refused = await request(api2, { path: '/api/v2/users/me.json', host: ACME_HOST, headers: password });
    expect(refused.status, refused.body).toBe(401);
    expect(json<{ error: string }>(refused).error).toBe('PasswordAccessDisabled');
    // Tokens keep working, on both.
    for (const api of [api1, api2])
      expect((await request(api, { path: '/api/v2/users/me.json', host: ACME_HOST, headers: token })).status).toBe(200);
  });

  it('counts a route’s rate limit across both API processes', async () => {
    const apis = [byName('riposte-api-1'), byName('riposte-api-2')];
    const statuses: number[] = [];
    // Alternating between the processes: each sees half, the limit holds for the total.
    for (let i = 0; i < PASSWORD_RATE_LIMIT + 2; i += 1) {
      const answer = await request(apis[i % 2] as Riposte, {
        method: 'POST',
        path: '/access/password_reset',
        host: ACME_HOST,
        from: FROM.resetLimit,
        body: { email: 'nobody@acme.test' },
      });
      statuses.push(answer.status);
      if (answer.status === 429) expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([...Array<number>(PASSWORD_RATE_LIMIT).fill(202), 429, 429]);
  });

  it('spends one password budget per client address across both API processes', async () => {
    const apis = [byName('riposte-api-1'), byName('riposte-api-2')];
    const statuses: number[] = [];
    for (let i = 0; i < PASSWORD_RATE_LIMIT + 2; i += 1) {
      const answer = await request(apis[i % 2] as Riposte, {
        method: 'POST',
        path: '/access/sign_in',
        host: ACME_HOST,
        from: FROM.passwordBudget,
        body: { email: AGENT.email, password: AGENT.password },
      });
      statuses.push(answer.status);
      if (answer.status === 429) expect(json<{ error: string }>(answer).error).toBe('TooManyRequests');
    }
    expect(statuses).toEqual([...Array<number>(PASSWORD_RATE_LIMIT).fill(200), 429, 429]);
  });

  it('splits a campaign started through an API process between both workers, every target flagged exactly once', async () => {
    const api1 = byName('riposte-api-1');
    const incident = await declareIncident(deps, {
      title: 'Cluster test',
      becameAwareAt: new Date(Date.now() - 86_400_000).toISOString(),
      cutoff: CUTOFF,
      actor: { type: 'cli' },
    });
    const draft = await createCampaign(deps, {
      incidentId: incident.id,
      selector: {
        all: [
          { field: 'user.realm', op: 'eq', value: 'core' },
          { field: 'user.password_changed_at', op: 'before', value: CUTOFF },
        ],
      },
      batchSize: BATCH_SIZE,
      order: 'by_account',
    });
    expect(draft.dryRun.targets).toBe(targets.size);

    // Started by an operator through API 1, which enqueues the batches and runs none of them.
    const totp = await totpCodeAt(operator.totpSecret, new Date());
    const signedIn = await request(api1, {
      method: 'POST',
      path: '/ops/v1/session',
      host: OPS_HOST,
      body: { email: operator.email, password: operator.password, totp },
    });
    expect(signedIn.status, signedIn.body).toBe(200);
    const cookie = String([signedIn.headers['set-cookie']].flat()[0]).split(';')[0] ?? '';
    const staffHeaders = { cookie, 'x-csrf-token': json<{ csrf_token: string }>(signedIn).csrf_token };
    const started = await request(api1, {
      method: 'POST',
      path: `/ops/v1/campaigns/${draft.id}/start`,
      host: OPS_HOST,
      headers: staffHeaders,
    });
    expect(started.status, started.body).toBe(200);
    const startedAt = performance.now();

    await waitUntil(
      async () => {
        const row = await database.db.selectFrom('rotation_campaigns').select('state').where('id', '=', draft.id).executeTakeFirstOrThrow();
        return row.state === 'done';
      },
      { message: 'the workers to finish the campaign', timeoutMs: 120_000, intervalMs: 100 },
    ).catch((error: unknown) => {
      const logs = cluster.map((riposte) => `--- ${riposte.name}\n${riposte.output.join('')}`).join('\n');
      throw new Error(`${String(error)}\nWhat the processes wrote:\n${logs}`, { cause: error });
    });
    const tookMs = performance.now() - startedAt;

    // The target set the campaign froze is the population's.
    const frozen = await database.db
      .selectFrom('campaign_targets')
      .select(['account_id', 'user_id', 'batch', 'flagged_at', 'changed_before_rotation'])
      .where('campaign_id', '=', draft.id)
      .execute();
    expect(new Set(frozen.map((t) => `${t.account_id}:${t.user_id}`))).toEqual(targets);
    expect(frozen.every((t) => t.flagged_at !== null && Number(t.changed_before_rotation) === 0)).toBe(true);
    const batchOf = new Map(frozen.map((t) => [`${t.account_id}:${t.user_id}`, Number(t.batch)]));
    const batches = new Set(batchOf.values());
    expect(batches.size).toBeGreaterThan(100);

    // Every target flagged exactly once: one flagging update per credential, none for anyone else.
    const flags = await sql<{ account_id: string; user_id: string; application: string; tx: string }>`
      select account_id, user_id, application, tx from cluster_test_flags`.execute(database.db);
    expect(flags.rows).toHaveLength(targets.size);
    expect(new Set(flags.rows.map((f) => `${f.account_id}:${f.user_id}`))).toEqual(targets);
    const stillFlagged = await database.db
      .selectFrom('password_credentials')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('must_change', '=', 1)
      .where('must_change_incident_id', '=', incident.id)
      .executeTakeFirstOrThrow();
    expect(Number(stillFlagged.n)).toBe(targets.size);

    // Each batch in one transaction of one process, and only worker processes ran batches: both of them.
    const batchRuns = new Map<number, { applications: Set<string>; transactions: Set<string> }>();
    for (const flag of flags.rows) {
      const batch = batchOf.get(`${flag.account_id}:${flag.user_id}`) as number;
      const run = batchRuns.get(batch) ?? { applications: new Set(), transactions: new Set() };
      run.applications.add(flag.application);
      run.transactions.add(flag.tx);
      batchRuns.set(batch, run);
    }
    expect(batchRuns.size).toBe(batches.size);
    const batchesByProcess = new Map<string, number>();
    for (const run of batchRuns.values()) {
      expect(run.applications.size).toBe(1);
      expect(run.transactions.size).toBe(1);
      const [application] = [...run.applications] as [string];
      batchesByProcess.set(application, (batchesByProcess.get(application) ?? 0) + 1);
    }
    expect([...batchesByProcess.keys()].sort(), JSON.stringify(Object.fromEntries(batchesByProcess))).toEqual([
      'riposte-worker-1',
      'riposte-worker-2',
    ]);

    // The audit trail says the same: one event per batch and account, adding up to the targets; chains intact.
    const events = await database.db
      .selectFrom('audit_events')
      .select(['account_id', 'data'])
      .where('action', '=', 'password.rotation_forced')
      .where('target_id', '=', String(draft.id))
      .execute();
    const audited = events.map((event) => ({
      account: Number(event.account_id),
      ...(JSON.parse(event.data) as { batch: number; users: number }),
    }));
    expect(new Set(audited.map((event) => `${event.account}:${event.batch}`)).size).toBe(audited.length);
    expect(audited.reduce((sum, event) => sum + event.users, 0)).toBe(targets.size);
    expect((await verifyAuditChains(database.db, deps.keyring)).ok).toBe(true);

    console.info(
      `campaign: ${targets.size} targets in ${batches.size} batches, done ${Math.round(tookMs)} ms after its start; batches by process: ${JSON.stringify(
        Object.fromEntries(batchesByProcess),
      )}`,
    );
  }, 180_000);
});
