/**
 * The local cluster, as an API (`npm run cluster:up|down|status` is its
 * command line, cluster/cli.ts):
 *
 * ```ts
 * import { clusterUp, clusterDown, postgresPids, waitForPrimary } from '../cluster/cluster.js';
 * const cluster = await clusterUp({ apiProcesses: 2, workerProcesses: 2 });
 * // cluster.urls.api is HAProxy's frontend for the API processes; cluster.urls.database its write port
 * const { leader } = await waitForPrimary();
 * process.kill(postgresPids()[leader] ?? 0, 'SIGKILL');
 * const after = await waitForPrimary({ timeoutMs: 60_000 }); // another member, promoted by Patroni
 * await clusterDown();
 * ```
 *
 * `clusterUp` is idempotent: what already runs with the same configuration
 * is kept, what is missing is started, what changed is restarted.
 * `clusterDown` stops exactly the processes recorded in the state
 * directory (and the postmasters Patroni started in its data directories),
 * keeping the data for the next `clusterUp` unless asked to purge it.
 */
import fs from 'node:fs';
import { PATRONI_DCS } from './config-files.js';
import { PREFERRED_POSTGRESQL_MAJOR, ensureDebianPackages } from './packages.js';
import { patroniCluster, postmasterPid, postmasterPids, riposteDatabaseUrl, writePortReachesPrimary } from './postgres.js';
import { httpGet, waitFor } from './probes.js';
import { forgetRecord, isRunning, readRecord, readRecords, stopRecorded, stopUnrecorded, type ProcessRecord } from './processes.js';
import { ensureRiposteDatabaseSoon, startEtcd, startHaproxy, startPatroni, startRiposte, waitForWriteRouting } from './start.js';
import { loadOrCreateSecrets, looksLikeClusterState, readSecrets, withStateLock, writeManifest } from './state.js';
import { RIPOSTE_NAME, STOP_GRACE_MS, type Outcome } from './supervisor.js';
import {
  CLUSTER_PORTS,
  POSTGRES_MEMBERS,
  resolveOptions,
  riposteProcessSpecs,
  stateLayout,
  type ClusterOptions,
  type PostgresMemberName,
  type ResolvedOptions,
  type RiposteProcessSpec,
  type StateLayout,
} from './topology.js';

export {
  CLUSTER_PORTS,
  POSTGRES_MEMBERS,
  PATRONI_DCS,
  riposteProcessSpecs,
  type ClusterOptions,
  type PostgresMemberName,
  type RiposteProcessSpec,
};
export { clusterStatus, formatClusterStatus, type ClusterStatus } from './status.js';

const ports = CLUSTER_PORTS;

export interface ClusterUpResult {
  stateDir: string;
  /** Nothing had to be started or restarted. */
  alreadyUp: boolean;
  outcomes: Record<string, Outcome>;
  postgresMajor: number;
  /** Whether the processes run `--role api|worker` (else, an older Riposte, each runs `all`). */
  rolesSupported: boolean;
  leader: string;
  syncStandbys: string[];
  urls: {
    /** Riposte's database through HAProxy's write port (no `application_name`). */
    database: string;
    api: string;
    apiHttps: string;
    haproxyStats: string;
  };
  riposte: Array<RiposteProcessSpec & { pid: number }>;
  seconds: number;
}

async function up(options: ResolvedOptions, layout: StateLayout): Promise<ClusterUpResult> {
  const startedAt = performance.now();
  const { log } = options;
  const postgres = ensureDebianPackages(log);
  if (postgres.major !== PREFERRED_POSTGRESQL_MAJOR)
    log(`PostgreSQL ${PREFERRED_POSTGRESQL_MAJOR} is not installed: using PostgreSQL ${postgres.major}`);
  for (const dir of [layout.pids, layout.logs]) fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(layout.stateDir, 0o755);
  const secrets = loadOrCreateSecrets(layout);
  const outcomes: Record<string, Outcome> = {};

  await startEtcd(layout, options, outcomes);
  const { leader, syncStandbys } = await startPatroni(layout, options, secrets, postgres.binDir, outcomes);
  log(`PostgreSQL ${postgres.major}: leader ${leader}, synchronous standby ${syncStandbys.join(', ')}`);

  const specs = riposteProcessSpecs(options.apiProcesses, options.workerProcesses, ports);
  const apiSpecs = specs.filter((spec) => spec.role === 'api');
  await startHaproxy(layout, options, apiSpecs, outcomes);
  await waitForWriteRouting(leader, secrets);
  await ensureRiposteDatabaseSoon(secrets);

  const riposte = await startRiposte(layout, options, secrets, specs, outcomes);
  if (apiSpecs.length > 0) {
    await waitFor('HAProxy to route the API frontend (/readyz)', async () => (await httpGet(ports.riposteHttp, '/readyz')).status === 200, {
      timeoutMs: 30_000,
    });
  }
  writeManifest(layout, {
    apiProcesses: options.apiProcesses,
    workerProcesses: options.workerProcesses,
    postgresMajor: postgres.major,
    rolesSupported: riposte.rolesSupported,
    ports,
    upAt: new Date().toISOString(),
  });
  return {
    stateDir: layout.stateDir,
    alreadyUp: Object.values(outcomes).every((outcome) => outcome === 'kept'),
    outcomes,
    postgresMajor: postgres.major,
    rolesSupported: riposte.rolesSupported,
    leader,
    syncStandbys,
    urls: {
      database: riposteDatabaseUrl(ports, secrets),
      api: `http://127.0.0.1:${ports.riposteHttp}`,
      apiHttps: `https://127.0.0.1:${ports.riposteHttps}`,
      haproxyStats: `http://127.0.0.1:${ports.haproxyStats}/`,
    },
    riposte: riposte.pids,
    seconds: (performance.now() - startedAt) / 1000,
  };
}

/** Starts what is not running (installing the Debian packages first if needed) and resolves once every piece answers. */
export async function clusterUp(options: ClusterOptions = {}): Promise<ClusterUpResult> {
  const resolved = resolveOptions(options);
  const layout = stateLayout(resolved.stateDir);
  return withStateLock(layout, () => up(resolved, layout));
}

export interface ClusterDownResult {
  stateDir: string;
  stopped: Array<{ name: string; pid: number; outcome: string }>;
  /** Processes still running after the stop (none, unless one refused even SIGKILL). */
  leftovers: string[];
  purged: boolean;
}

async function down(options: ResolvedOptions, layout: StateLayout, purge: boolean): Promise<ClusterDownResult> {
  const stopped: ClusterDownResult['stopped'] = [];
  const records = readRecords(layout.pids);
  const stopAll = async (group: ProcessRecord[], graceMs: number, gentle?: NodeJS.Signals): Promise<void> => {
    await Promise.all(
      group.map(async (record) => {
        const outcome = await stopRecorded(record, { graceMs, ...(gentle === undefined ? {} : { gentle }) });
        if (outcome !== 'not running') {
          stopped.push({ name: record.name, pid: record.pid, outcome });
          options.log(`${record.name}: ${outcome} (pid ${record.pid})`);
        }
        forgetRecord(layout.pids, record.name);
      }),
    );
  };
  const named = (test: (name: string) => boolean): ProcessRecord[] => records.filter((record) => test(record.name));
  // Clients first, then the proxy, then the replicas, the leader (so nothing fails over on the way down), etcd last.
  await stopAll(
    named((name) => RIPOSTE_NAME.test(name)),
    STOP_GRACE_MS.riposte,
  );
  await stopAll(
    named((name) => name === 'haproxy'),
    STOP_GRACE_MS.haproxy,
  );
  const leader = (await patroniCluster(ports))?.members.find((member) => member.role === 'leader')?.name;
  await stopAll(
    named((name) => name.startsWith('patroni-') && name !== `patroni-${leader}`),
    STOP_GRACE_MS.patroni,
  );
  await stopAll(
    named((name) => name === `patroni-${leader}`),
    STOP_GRACE_MS.patroni,
  );
  // A postmaster whose Patroni died without stopping it: a fast shutdown (SIGINT), as pg_ctl stop -m fast does.
  for (const member of POSTGRES_MEMBERS) {
    const pid = postmasterPid(layout, member);
    if (pid !== undefined && (await stopUnrecorded(pid, layout.member(member).data, 60_000, 'SIGINT'))) {
      stopped.push({ name: `postgres-${member}`, pid, outcome: 'stopped' });
      options.log(`postgres-${member}: stopped (pid ${pid}, left running by its Patroni)`);
    }
  }
  await stopAll(
    named((name) => readRecord(layout.pids, name) !== undefined),
    STOP_GRACE_MS.etcd,
  );
  const leftovers = [
    ...records.filter(isRunning).map((record) => `${record.name} (pid ${record.pid})`),
    ...Object.entries(postmasterPids(layout))
      .filter(([, pid]) => pid !== undefined)
      .map(([member, pid]) => `postgres-${member} (pid ${pid})`),
  ];
  let purged = false;
  if (purge && leftovers.length === 0 && looksLikeClusterState(layout)) {
    fs.rmSync(layout.stateDir, { recursive: true, force: true });
    purged = true;
  }
  return { stateDir: layout.stateDir, stopped, leftovers, purged };
}

/**
 * Stops every process `clusterUp` recorded (and nothing else), Riposte
 * first and etcd last; keeps the state directory, or removes it with `purge`.
 */
export async function clusterDown(options: ClusterOptions & { purge?: boolean } = {}): Promise<ClusterDownResult> {
  const resolved = resolveOptions(options);
  const layout = stateLayout(resolved.stateDir);
  if (!fs.existsSync(layout.stateDir)) return { stateDir: layout.stateDir, stopped: [], leftovers: [], purged: false };
  return withStateLock(layout, () => down(resolved, layout, options.purge === true));
}

/** The postmaster pid of each member (undefined for one not running), from its data directory. */
export function postgresPids(options: Pick<ClusterOptions, 'stateDir'> = {}): Record<PostgresMemberName, number | undefined> {
  return postmasterPids(stateLayout(resolveOptions(options).stateDir));
}

/** The processes the cluster has recorded, running or not. */
export function clusterProcesses(options: Pick<ClusterOptions, 'stateDir'> = {}): Array<ProcessRecord & { running: boolean }> {
  return readRecords(stateLayout(resolveOptions(options).stateDir).pids).map((record) => ({ ...record, running: isRunning(record) }));
}

/** Riposte's `DATABASE_URL` in the cluster (HAProxy's write port), once `clusterUp` has made its password. */
export function clusterDatabaseUrl(options: Pick<ClusterOptions, 'stateDir'> = {}, applicationName?: string): string {
  const secrets = readSecrets(stateLayout(resolveOptions(options).stateDir));
  if (secrets === undefined) throw new Error('The cluster has no passwords yet: run cluster:up first');
  return riposteDatabaseUrl(ports, secrets, applicationName);
}

/**
 * Resolves once a member is the running leader and HAProxy's write port
 * reaches it: with the member and how long that took (the time without a
 * primary, when called right after the primary was lost).
 */
export async function waitForPrimary(
  options: Pick<ClusterOptions, 'stateDir'> & { timeoutMs?: number } = {},
): Promise<{ leader: PostgresMemberName; waitedMs: number }> {
  const secrets = readSecrets(stateLayout(resolveOptions(options).stateDir));
  if (secrets === undefined) throw new Error('The cluster has no passwords yet: run cluster:up first');
  const started = performance.now();
  const leader = await waitFor(
    'a primary behind the write port',
    async () => {
      if (!(await writePortReachesPrimary(ports, secrets))) return undefined;
      const cluster = await patroniCluster(ports);
      return cluster?.members.find((member) => member.role === 'leader' && member.state === 'running')?.name as
        PostgresMemberName | undefined;
    },
    { timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 100 },
  );
  return { leader, waitedMs: performance.now() - started };
}
