/**
 * Starting each piece in turn and waiting until it answers: etcd, the three
 * Patroni members (a leader and a synchronous standby), HAProxy, Riposte's
 * database, then the Riposte processes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { etcdArguments, haproxyConfig, patroniConfig, type ClusterSecrets } from './config-files.js';
import { postgresOsUser, type OsUser } from './packages.js';
import { ensureRiposteDatabase, leaderAndSyncStandby, patroniCluster, postmasterPid, writePortReachesPrimary } from './postgres.js';
import { httpGet, portAnswers, waitFor } from './probes.js';
import { forgetRecord, isRunning, readRecords, stopRecorded, type ProcessRecord } from './processes.js';
import { prepareRiposte, riposteEnvironment, riposteLaunch } from './riposte.js';
import { haproxyServers } from './status.js';
import {
  ensureProcess,
  fingerprintOf,
  logTail,
  RIPOSTE_NAME,
  STOP_GRACE_MS,
  waitOnProcess,
  writeConfig,
  type Outcome,
} from './supervisor.js';
import {
  CLUSTER_PORTS,
  POSTGRES_MEMBERS,
  REPO_ROOT,
  type PostgresMemberName,
  type ResolvedOptions,
  type RiposteProcessSpec,
  type StateLayout,
} from './topology.js';

const ports = CLUSTER_PORTS;

/** A member's directory, owned by the user PostgreSQL runs as, who must be able to reach it through every parent. */
function prepareMemberDirectory(layout: StateLayout, member: PostgresMemberName, owner: OsUser | undefined): void {
  const { dir } = layout.member(member);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner === undefined) return;
  fs.chownSync(dir, owner.uid, owner.gid);
  // Every directory above must let that user through.
  for (let parent = path.dirname(dir); parent !== path.dirname(parent); parent = path.dirname(parent)) {
    if ((fs.statSync(parent).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as ${owner.name}, who cannot enter ${parent} (not searchable by others): chmod o+x ${parent}, or set RIPOSTE_CLUSTER_DIR to a directory it can reach`,
      );
    }
  }
}

export async function startEtcd(layout: StateLayout, options: ResolvedOptions, outcomes: Record<string, Outcome>): Promise<void> {
  const args = etcdArguments(layout, ports);
  const { record, outcome } = await ensureProcess(
    layout,
    {
      name: 'etcd',
      command: '/usr/bin/etcd',
      args,
      env: { ...process.env },
      cwd: layout.stateDir,
      log: path.join(layout.logs, 'etcd.log'),
      fingerprint: fingerprintOf(args),
      ports: [ports.etcdClient, ports.etcdPeer],
      graceMs: STOP_GRACE_MS.etcd,
    },
    options.log,
  );
  outcomes.etcd = outcome;
  await waitOnProcess(
    record,
    'etcd to report healthy',
    async () => (await httpGet(ports.etcdClient, '/health')).body.includes('true'),
    30_000,
  );
}

export async function startPatroni(
  layout: StateLayout,
  options: ResolvedOptions,
  secrets: ClusterSecrets,
  postgresBinDir: string,
  outcomes: Record<string, Outcome>,
): Promise<{ leader: string; syncStandbys: string[] }> {
  const owner = postgresOsUser();
  const records: ProcessRecord[] = [];
  for (const [index, member] of POSTGRES_MEMBERS.entries()) {
    prepareMemberDirectory(layout, member, owner);
    const paths = layout.member(member);
    const config = patroniConfig({ member, layout, ports, secrets, postgresBinDir });
    writeConfig(paths.config, config, owner);
    const { record, outcome } = await ensureProcess(
      layout,
      {
        name: `patroni-${member}`,
        command: '/usr/bin/patroni',
        args: [paths.config],
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          HOME: owner?.home ?? process.env.HOME ?? paths.dir,
          USER: owner?.name ?? process.env.USER ?? '',
          LANG: 'C.UTF-8',
          PYTHONUNBUFFERED: '1',
        },
        cwd: paths.dir,
        log: path.join(layout.logs, `patroni-${member}.log`),
        fingerprint: fingerprintOf(config),
        // A postmaster left running by a Patroni that died is taken over by the new one: its port is not in the way.
        ports: [ports.patroniRest[index] ?? 0, ...(postmasterPid(layout, member) === undefined ? [ports.postgres[index] ?? 0] : [])],
        graceMs: STOP_GRACE_MS.patroni,
        ...(owner === undefined ? {} : { user: { uid: owner.uid, gid: owner.gid } }),
      },
      options.log,
    );
    outcomes[`patroni-${member}`] = outcome;
    records.push(record);
  }
  let last = '';
  return waitFor(
    'a Patroni leader, a synchronous standby and all three members running',
    async () => {
      const stopped = records.find((record) => !isRunning(record));
      if (stopped !== undefined) throw new Error(`${stopped.name} exited; the end of ${stopped.log}:\n${logTail(stopped.log)}`);
      const cluster = await patroniCluster(ports);
      last = JSON.stringify(cluster?.members.map(({ name, role, state }) => ({ name, role, state })) ?? 'no member answers');
      const allRunning =
        cluster?.members.length === POSTGRES_MEMBERS.length &&
        cluster.members.every((member) => ['running', 'streaming'].includes(member.state));
      return allRunning ? leaderAndSyncStandby(cluster) : undefined;
    },
    // A first bootstrap runs initdb, then two base backups.
    { timeoutMs: 240_000, intervalMs: 500, describe: () => `${last}; logs in ${layout.logs}` },
  );
}

export async function startHaproxy(
  layout: StateLayout,
  options: ResolvedOptions,
  apiSpecs: RiposteProcessSpec[],
  outcomes: Record<string, Outcome>,
): Promise<void> {
  const config = haproxyConfig(ports, apiSpecs);
  // A running HAProxy read its file when it started: writing the new one changes nothing until the restart below.
  writeConfig(layout.haproxyConfig, config);
  const { record, outcome } = await ensureProcess(
    layout,
    {
      name: 'haproxy',
      command: '/usr/sbin/haproxy',
      args: ['-db', '-f', layout.haproxyConfig],
      env: { ...process.env },
      cwd: layout.stateDir,
      log: path.join(layout.logs, 'haproxy.log'),
      fingerprint: fingerprintOf(config),
      ports: [ports.postgresWrite, ports.riposteHttp, ports.riposteHttps, ports.haproxyStats],
      graceMs: STOP_GRACE_MS.haproxy,
    },
    options.log,
  );
  outcomes.haproxy = outcome;
  await waitOnProcess(record, 'HAProxy to listen', () => portAnswers(ports.haproxyStats), 15_000);
}

export async function startRiposte(
  layout: StateLayout,
  options: ResolvedOptions,
  secrets: ClusterSecrets,
  specs: RiposteProcessSpec[],
  outcomes: Record<string, Outcome>,
): Promise<{ rolesSupported: boolean; pids: Array<RiposteProcessSpec & { pid: number }> }> {
  for (const record of readRecords(layout.pids)) {
    if (RIPOSTE_NAME.test(record.name) && !specs.some((spec) => spec.name === record.name)) {
      options.log(`${record.name}: not asked for any more, stopping (pid ${record.pid})`);
      await stopRecorded(record, { graceMs: STOP_GRACE_MS.riposte });
      forgetRecord(layout.pids, record.name);
    }
  }
  if (specs.length === 0) return { rolesSupported: false, pids: [] };
  options.log('Riposte: building if the sources changed, then checking `riposte serve --help` for --role…');
  const { rolesSupported } = prepareRiposte();
  if (!rolesSupported) options.log('Riposte: `riposte serve` has no --role here; every process runs `all` (HTTP and jobs)');
  fs.mkdirSync(layout.riposteData, { recursive: true });
  const ensure = async (spec: RiposteProcessSpec): Promise<ProcessRecord> => {
    const launch = riposteLaunch(spec, { layout, secrets, rolesSupported, riposteEnv: options.riposteEnv, ports });
    const { record, outcome } = await ensureProcess(
      layout,
      {
        name: spec.name,
        command: process.execPath,
        args: launch.args,
        env: riposteEnvironment(launch),
        cwd: REPO_ROOT,
        log: path.join(layout.logs, `${spec.name}.log`),
        fingerprint: launch.fingerprint,
        ports: [spec.httpPort, ...(spec.httpsPort > 0 ? [spec.httpsPort] : [])],
        graceMs: STOP_GRACE_MS.riposte,
      },
      options.log,
    );
    outcomes[spec.name] = outcome;
    await waitOnProcess(
      record,
      `${spec.name} to answer /readyz with 200`,
      async () => (await httpGet(spec.httpPort, '/readyz')).status === 200,
      120_000,
    );
    return record;
  };
  // The first process applies the migrations alone; the others then start together.
  const [first, ...rest] = specs as [RiposteProcessSpec, ...RiposteProcessSpec[]];
  const records = [await ensure(first), ...(await Promise.all(rest.map(ensure)))];
  return { rolesSupported, pids: specs.map((spec, index) => ({ ...spec, pid: records[index]?.pid ?? 0 })) };
}

/** Resolves once HAProxy's write port routes to the leader alone (HAProxy takes every server for up until its checks say otherwise). */
export async function waitForWriteRouting(leader: string, secrets: ClusterSecrets): Promise<void> {
  let primaryServers = '';
  await waitFor(
    `HAProxy to route its write port to ${leader} alone`,
    async () => {
      const servers = (await haproxyServers(ports.haproxyStats)).filter((server) => server.backend === 'postgres_primary');
      primaryServers = servers.map((server) => `${server.server} ${server.status}`).join(', ');
      // `UP 1/2` is a server on its way down after one failed check: HAProxy still sends it connections.
      const up = servers.filter((server) => server.status.startsWith('UP')).map((server) => server.server);
      return up.length === 1 && up[0] === leader && (await writePortReachesPrimary(ports, secrets));
    },
    { timeoutMs: 30_000, describe: () => primaryServers },
  );
}

/** Riposte's role and database, tried again while a primary just promoted or HAProxy settles. */
export async function ensureRiposteDatabaseSoon(secrets: ClusterSecrets): Promise<void> {
  let databaseError = '';
  await waitFor(
    "Riposte's role and database",
    async () => {
      try {
        await ensureRiposteDatabase(ports, secrets);
        return true;
      } catch (error) {
        // A primary just promoted, or a connection cut while HAProxy settles: try again.
        const code = (error as { code?: string }).code ?? '';
        if (!['25006', '57P01', 'ECONNREFUSED', 'ECONNRESET'].includes(code) && !String(error).includes('terminated')) throw error;
        databaseError = String(error);
        return false;
      }
    },
    { timeoutMs: 30_000, intervalMs: 500, describe: () => databaseError },
  );
}
