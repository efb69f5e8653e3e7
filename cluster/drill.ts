/**
 * The failover drill: `npm run drill:failover [-- --kill primary|processes] [--users N]`.
 *
 * Brings the cluster up (`clusterUp`), adds a population of its own (accounts
 * named after the run, so runs do not meet), and while a rotation campaign
 * runs on the worker processes and a steady load of API-token requests,
 * password sign-ins and token creations and deletions goes to the API
 * frontend (HAProxy), kills:
 *   primary    the primary PostgreSQL's postmaster, with kill -9;
 *   processes  a worker process mid-batch and an API process mid-request, with kill -9.
 * Then waits for the campaign to finish and prints the seconds without a
 * primary, the requests that failed meanwhile (by status), the campaign's
 * targets flagged exactly once (against the target set), the acknowledged
 * writes lost (sessions created, tokens created and deleted, their audit
 * events), checked against this client's own log of acknowledged answers, and
 * whether the audit chains verify. Exits 1 when anything was lost.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { openRuntime, type Runtime } from '../src/main.js';
import { insertAccount } from '../test/support/fixtures.js';
import { insertPasswordCredential, insertUser, PLACEHOLDER_PASSWORD_HASH } from '../test/support/identity-fixtures.js';
import { reserveIds } from '../src/db/sequences.js';
import { hashPassword } from '../src/modules/auth/passwords/password-hashing.js';
import { hashSecretToken } from '../src/modules/auth/secret-tokens.js';
import { createApiToken } from '../src/modules/auth/api-tokens/api-tokens.service.js';
import { createCampaign, getCampaign } from '../src/modules/incidents/campaigns.service.js';
import { startCampaign } from '../src/modules/incidents/campaign-start.service.js';
import { declareIncident } from '../src/modules/incidents/incidents.service.js';
import { verifyAuditChains } from '../src/platform/audit/audit.service.js';
import { clusterDatabaseUrl, clusterProcesses, clusterUp, postgresPids, waitForPrimary } from './cluster.js';
import { CLUSTER_PORTS, resolveOptions, stateLayout } from './topology.js';

const argument = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
};
const KILL = argument('kill') ?? 'primary';
if (KILL !== 'primary' && KILL !== 'processes') throw new Error('--kill takes primary or processes');
const USERS = Number(argument('users') ?? 40_000);
const BATCH_SIZE = Number(argument('batch-size') ?? 100);
const CLIENTS = 8;
const RUN = crypto.randomBytes(3).toString('hex');
const PASSWORD = 'drill sign-in password, long enough';
const CUTOFF = '2016-11-01T00:00:00.000Z';
const log = (line: string): void => void process.stderr.write(`drill: ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to the API frontend; a broken connection is status 0. */
function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const request = http.request(
      { host: '127.0.0.1', port: CLUSTER_PORTS.riposteHttp, method, path, headers, timeout: 15_000, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
    request.end(body);
  });
}

/** What the client saw acknowledged, to be found in the database afterwards. */
interface Ledger {
  sessions: string[];
  tokensCreated: number[];
  tokensDeleted: number[];
  answers: Array<{ at: number; op: string; status: number }>;
}

interface Population {
  host: string;
  admin: { email: string; token: string };
  accountIds: number[];
}

/** The drill's accounts and users: a load account with a real password and token, and the campaign's population. */
async function populate(runtime: Runtime): Promise<Population> {
  const db = runtime.db;
  const load = await insertAccount(db, `drill${RUN}`);
  const admin = await insertUser(db, load, `admin@drill${RUN}.test`, { role: 'admin' });
  await insertPasswordCredential(db, admin, { password_hash: await hashPassword(PASSWORD), password_changed_at: new Date().toISOString() });
  const principal = { account: load, user: admin, via: 'session' as const, scopes: new Set(['read', 'write'] as const), credentialId: 0 };
  const token = await createApiToken(runtime, principal, { description: 'drill load' });
  const accounts = Math.max(1, Math.round(USERS / 1000));
  const accountIds: number[] = [];
  for (let a = 0; a < accounts; a += 1) {
    const account = await insertAccount(db, `drill${RUN}p${a}`);
    accountIds.push(account.id);
    const count = Math.floor(USERS / accounts);
    const first = await reserveIds(db, 'users', count);
    for (let start = 0; start < count; start += 1000) {
      const ids = Array.from({ length: Math.min(1000, count - start) }, (_, i) => first + start + i);
      await db
        .insertInto('users')
        .values(
          ids.map((id) => ({
            account_id: account.id,
            id,
            realm: 'core',
            role: 'end-user' as const,
            name: `user ${id}`,
            email: `u${id}@drill${RUN}.test`,
            phone: null,
            locale: null,
            active: 1 as const,
            sso: 0 as const,
            products_mask: 1,
            created_at: '2015-01-01T00:00:00.000Z',
            updated_at: '2015-01-01T00:00:00.000Z',
            last_login_at: null,
            external_id: null,
          })),
        )
        .execute();
      await db
        .insertInto('password_credentials')
        .values(
          ids.map((id) => ({
            account_id: account.id,
            user_id: id,
            password_hash: PLACEHOLDER_PASSWORD_HASH,
            password_changed_at: '2015-01-01T00:00:00.000Z',
            must_change: 0 as const,
            must_change_reason: null,
            must_change_incident_id: null,
          })),
        )
        .execute();
    }
  }
  return { host: `drill${RUN}.localhost`, admin: { email: admin.email, token: token.token }, accountIds };
}

/** Keeps CLIENTS loops of requests going until `stop` says so: token reads, sign-ins, token creations and deletions. */
async function steadyLoad(population: Population, ledger: Ledger, stop: () => boolean): Promise<void> {
  const basic = `Basic ${Buffer.from(`${population.admin.email}/token:${population.admin.token}`).toString('base64')}`;
  const json = { host: population.host, 'content-type': 'application/json' };
  const note = (op: string, status: number) => ledger.answers.push({ at: performance.now(), op, status });
  const loop = async (client: number): Promise<void> => {
    for (let n = 0; !stop(); n += 1) {
      const turn = (n + client) % 10;
      if (turn < 6) {
        note('token read', (await call('GET', '/api/v2/users/me.json', { host: population.host, authorization: basic })).status);
      } else if (turn < 8) {
        const answer = await call('POST', '/access/sign_in', json, JSON.stringify({ email: population.admin.email, password: PASSWORD }));
        note('sign-in', answer.status);
        const cookie = [answer.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('riposte_session='));
        if (answer.status === 200 && cookie !== undefined)
          ledger.sessions.push(cookie.slice('riposte_session='.length).split(';')[0] ?? '');
      } else {
        const created = await call(
          'POST',
          '/api/v2/api_tokens.json',
          { ...json, authorization: basic },
          JSON.stringify({ api_token: { description: `drill ${client}/${n}` } }),
        );
        note('token create', created.status);
        if (created.status !== 201) continue;
        const id = (JSON.parse(created.body) as { api_token: { id: number } }).api_token.id;
        ledger.tokensCreated.push(id);
        const deleted = await call('DELETE', `/api/v2/api_tokens/${id}.json`, { host: population.host, authorization: basic });
        note('token delete', deleted.status);
        if (deleted.status === 204) ledger.tokensDeleted.push(id);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, client) => loop(client)));
}

/** Reads with retries: the drill's own connection rides the failover too. */
async function patiently<T>(what: string, read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 120) throw new Error(`${what}: ${String(error)}`, { cause: error });
      await sleep(500);
    }
  }
}

function kill(pid: number | undefined, what: string): void {
  if (pid === undefined) throw new Error(`no pid for ${what}`);
  process.kill(pid, 'SIGKILL');
  log(`killed ${what} (pid ${pid}) with SIGKILL`);
}

async function main(): Promise<void> {
  const options = { riposteEnv: { RIPOSTE_PASSWORD_RATE_LIMIT: '1000000' } };
  const up = await clusterUp(options);
  log(`cluster up: leader ${up.leader}, synchronous standby ${up.syncStandbys.join(', ')}; run ${RUN}, kill ${KILL}`);
  const where = { stateDir: resolveOptions(options).stateDir };
  const layout = stateLayout(where.stateDir);
  const runtime = await openRuntime(
    { dataDir: layout.riposteData, logLevel: 'warn' },
    { ...process.env, DATABASE_URL: clusterDatabaseUrl(where, 'riposte-drill') },
  );
  try {
    const population = await populate(runtime);
    const incident = await declareIncident(runtime, {
      title: `Drill ${RUN}`,
      becameAwareAt: new Date().toISOString(),
      cutoff: CUTOFF,
      actor: { type: 'cli' },
    });
    const selector = { field: 'account.id', op: 'in', value: population.accountIds };
    const draft = await createCampaign(runtime, { incidentId: incident.id, selector, batchSize: BATCH_SIZE });
    log(`population: ${population.accountIds.length} accounts, ${draft.dryRun.targets} targets in batches of ${BATCH_SIZE}`);

    const ledger: Ledger = { sessions: [], tokensCreated: [], tokensDeleted: [], answers: [] };
    let stopping = false;
    const load = steadyLoad(population, ledger, () => stopping);
    await sleep(3_000);
    await startCampaign(runtime, draft.id);
    const campaignStarted = performance.now();
    // Mid-campaign: a few batches done, most to go.
    await patiently('campaign progress', async () => {
      for (;;) {
        const view = await getCampaign(runtime, draft.id);
        if (view.progress.done > 0) return view;
        await sleep(100);
      }
    });
    const killedAt = performance.now();
    let withoutPrimaryMs = 0;
    if (KILL === 'primary') {
      kill(postgresPids(where)[up.leader as keyof ReturnType<typeof postgresPids>], `the primary PostgreSQL (${up.leader})`);
      const { leader, waitedMs } = await waitForPrimary({ ...where, timeoutMs: 180_000 });
      withoutPrimaryMs = waitedMs;
      log(`new primary: ${leader} after ${(waitedMs / 1000).toFixed(1)} s`);
    } else {
      const processes = clusterProcesses(where).filter((record) => record.running);
      kill(processes.find((record) => record.name.startsWith('worker-'))?.pid, 'a worker process mid-batch');
      kill(processes.find((record) => record.name.startsWith('api-'))?.pid, 'an API process mid-request');
    }
    const finished = await patiently('the campaign to finish', async () => {
      for (;;) {
        const view = await getCampaign(runtime, draft.id);
        if (view.state === 'done') return view;
        if (performance.now() - campaignStarted > 900_000) throw new Error(`the campaign did not finish: ${JSON.stringify(view.progress)}`);
        await sleep(500);
      }
    });
    stopping = true;
    await load;
    const campaignSeconds = (performance.now() - campaignStarted) / 1000;
    // Processes killed by the drill come back, as an operator's supervisor would bring them.
    if (KILL === 'processes') await clusterUp(options);

    const db = runtime.db;
    const targets = await patiently('targets', () =>
      db.selectFrom('campaign_targets').select(['account_id', 'user_id', 'flagged_at']).where('campaign_id', '=', draft.id).execute(),
    );
    const flagged = await db
      .selectFrom('password_credentials')
      .select(['account_id', 'user_id'])
      .where('must_change_incident_id', '=', incident.id)
      .where('must_change', '=', 1)
      .execute();
    const rotationEvents = await db
      .selectFrom('audit_events')
      .select('data')
      .where('action', '=', 'password.rotation_forced')
      .where('target_id', '=', String(draft.id))
      .execute();
    const flagsRecorded = rotationEvents.reduce(
      (sum, event) => sum + Number((JSON.parse(event.data ?? '{}') as { users?: number }).users ?? 0),
      0,
    );
    const key = (row: { account_id: number; user_id: number }) => `${Number(row.account_id)}:${Number(row.user_id)}`;
    const targetKeys = new Set(targets.map(key));
    const flaggedKeys = new Set(flagged.map(key));
    const sameSet = targetKeys.size === flaggedKeys.size && [...targetKeys].every((k) => flaggedKeys.has(k));
    const exactlyOnce = sameSet && flagsRecorded === targetKeys.size && targets.every((t) => t.flagged_at !== null);

    const sessionHashes = ledger.sessions.map(hashSecretToken);
    const sessionsFound = new Set<string>();
    for (let start = 0; start < sessionHashes.length; start += 1000) {
      const rows = await db
        .selectFrom('sessions')
        .select('token_hash')
        .where('token_hash', 'in', sessionHashes.slice(start, start + 1000))
        .execute();
      for (const row of rows) sessionsFound.add(row.token_hash);
    }
    const tokenAudit = await db
      .selectFrom('audit_events')
      .select(['action', 'target_id'])
      .where(
        'account_id',
        '=',
        (await db.selectFrom('accounts').select('id').where('subdomain', '=', `drill${RUN}`).executeTakeFirstOrThrow()).id,
      )
      .where('action', 'in', ['api_token.created', 'api_token.deleted'])
      .execute();
    const audited = new Set(tokenAudit.map((row) => `${row.action}:${row.target_id}`));
    const remaining = new Set(
      (ledger.tokensDeleted.length === 0
        ? []
        : await db.selectFrom('api_tokens').select('id').where('id', 'in', ledger.tokensDeleted).execute()
      ).map((row) => Number(row.id)),
    );
    const lost = {
      sessions: ledger.sessions.length - sessionsFound.size,
      tokenCreations: ledger.tokensCreated.filter((id) => !audited.has(`api_token.created:${id}`)).length,
      tokenDeletions: ledger.tokensDeleted.filter((id) => !audited.has(`api_token.deleted:${id}`) || remaining.has(id)).length,
    };
    const chains = await verifyAuditChains(db, runtime.keyring);

    const duringFailover = ledger.answers.filter(
      (answer) => answer.at >= killedAt && answer.at <= killedAt + Math.max(withoutPrimaryMs, 1_000) + 10_000,
    );
    const byStatus = (answers: Ledger['answers']) =>
      Object.fromEntries(
        [...new Set(answers.map((a) => a.status))].sort().map((status) => [status, answers.filter((a) => a.status === status).length]),
      );
    const failed = (answers: Ledger['answers']) => answers.filter((a) => a.status === 0 || a.status >= 500);
    const report = {
      run: RUN,
      kill: KILL,
      seconds_without_primary: KILL === 'primary' ? Number((withoutPrimaryMs / 1000).toFixed(1)) : null,
      requests: ledger.answers.length,
      failed_during_failover_by_status: byStatus(failed(duringFailover)),
      failed_by_status: byStatus(failed(ledger.answers)),
      answers_by_status: byStatus(ledger.answers),
      campaign: {
        state: finished.state,
        seconds: Number(campaignSeconds.toFixed(1)),
        targets: targetKeys.size,
        flagged: flaggedKeys.size,
        flags_recorded_by_batches: flagsRecorded,
        flagged_exactly_once: exactlyOnce,
      },
      acknowledged: {
        sessions: ledger.sessions.length,
        tokens_created: ledger.tokensCreated.length,
        tokens_deleted: ledger.tokensDeleted.length,
      },
      acknowledged_writes_lost: lost,
      audit_chains: { ok: chains.ok, accounts: chains.accounts, events: chains.events },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const clean = exactlyOnce && lost.sessions === 0 && lost.tokenCreations === 0 && lost.tokenDeletions === 0 && chains.ok;
    log(clean ? 'nothing acknowledged was lost; every target flagged exactly once; audit chains verify' : 'FAILED: see the report');
    process.exitCode = clean ? 0 : 1;
  } finally {
    await runtime.close();
  }
}

await main();
