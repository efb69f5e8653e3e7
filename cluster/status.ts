/**
 * What runs and how it answers: each recorded process, each PostgreSQL
 * member's role from Patroni's `GET /cluster`, HAProxy's backends from its
 * stats page, and each Riposte process's `/readyz`.
 */
import { leaderAndSyncStandby, patroniCluster, postmasterPid, type PatroniMember } from './postgres.js';
import { httpGet } from './probes.js';
import { isRunning, readRecord, type ProcessRecord } from './processes.js';
import { readManifest } from './state.js';
import {
  CLUSTER_PORTS,
  POSTGRES_MEMBERS,
  resolveOptions,
  riposteProcessSpecs,
  stateLayout,
  type ClusterOptions,
  type PostgresMemberName,
  type RiposteRole,
} from './topology.js';

export interface ProcessState {
  name: string;
  /** The recorded pid, while that process runs. */
  pid?: number;
  running: boolean;
}

export interface ClusterStatus {
  stateDir: string;
  /** Some recorded process runs. */
  up: boolean;
  etcd: ProcessState & { healthy: boolean; clientPort: number };
  members: Array<{
    name: PostgresMemberName;
    port: number;
    restPort: number;
    patroni: ProcessState;
    postmasterPid?: number;
    /** Patroni's view: `leader`, `sync_standby`, `replica` (undefined when no Patroni answers). */
    role?: string;
    state?: string;
    timeline?: number;
    lag?: number | string;
  }>;
  leader?: string;
  syncStandbys: string[];
  haproxy: ProcessState & { servers: Array<{ backend: string; server: string; status: string }> };
  riposte: Array<ProcessState & { role: RiposteRole; httpPort: number; httpsPort: number; readyz?: number }>;
  frontends: { apiHttpPort: number; apiReadyz?: number; postgresWritePort: number };
  rolesSupported?: boolean;
}

function processState(record: ProcessRecord | undefined, name: string): ProcessState {
  const running = record !== undefined && isRunning(record);
  return { name, running, ...(running ? { pid: record.pid } : {}) };
}

/** HAProxy's servers and their state (UP, DOWN, no check), from the stats page's CSV. */
export async function haproxyServers(statsPort: number): Promise<ClusterStatus['haproxy']['servers']> {
  const answer = await httpGet(statsPort, '/;csv');
  if (answer.status !== 200) return [];
  const [header, ...rows] = answer.body.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const [pxname, svname, status] = ['pxname', 'svname', 'status'].map((column) => columns.indexOf(column)) as [number, number, number];
  return rows
    .map((row) => row.split(','))
    .filter((fields) => !['FRONTEND', 'BACKEND'].includes(fields[svname] ?? '') && fields[pxname] !== 'stats')
    .map((fields) => ({ backend: fields[pxname] ?? '', server: fields[svname] ?? '', status: fields[status] ?? '' }));
}

export async function clusterStatus(options: Pick<ClusterOptions, 'stateDir'> = {}): Promise<ClusterStatus> {
  const layout = stateLayout(resolveOptions(options).stateDir);
  const manifest = readManifest(layout);
  const ports = manifest?.ports ?? CLUSTER_PORTS;
  const record = (name: string): ProcessRecord | undefined => readRecord(layout.pids, name);

  const etcd = processState(record('etcd'), 'etcd');
  const cluster = await patroniCluster(ports);
  const byName = new Map<string, PatroniMember>((cluster?.members ?? []).map((member) => [member.name, member]));
  const members = POSTGRES_MEMBERS.map((name, index) => {
    const member = byName.get(name);
    const pid = postmasterPid(layout, name);
    return {
      name,
      port: ports.postgres[index] ?? 0,
      restPort: ports.patroniRest[index] ?? 0,
      patroni: processState(record(`patroni-${name}`), `patroni-${name}`),
      ...(pid === undefined ? {} : { postmasterPid: pid }),
      ...(member === undefined ? {} : { role: member.role, state: member.state, timeline: member.timeline, lag: member.lag }),
    };
  });
  const roles = leaderAndSyncStandby(cluster);
  const leader = cluster?.members.find((member) => member.role === 'leader')?.name;

  const specs = riposteProcessSpecs(manifest?.apiProcesses ?? 0, manifest?.workerProcesses ?? 0, ports);
  const riposte = await Promise.all(
    specs.map(async (spec) => {
      const state = processState(record(spec.name), spec.name);
      const readyz = state.running ? (await httpGet(spec.httpPort, '/readyz')).status : undefined;
      return { ...state, role: spec.role, httpPort: spec.httpPort, httpsPort: spec.httpsPort, ...(readyz === undefined ? {} : { readyz }) };
    }),
  );
  const haproxy = processState(record('haproxy'), 'haproxy');
  const apiReadyz =
    haproxy.running && specs.some((spec) => spec.role === 'api') ? (await httpGet(ports.riposteHttp, '/readyz')).status : undefined;
  return {
    stateDir: layout.stateDir,
    up: [
      etcd.running,
      haproxy.running,
      ...members.map((member) => member.patroni.running),
      ...riposte.map((process) => process.running),
    ].some(Boolean),
    etcd: {
      ...etcd,
      healthy: etcd.running && (await httpGet(ports.etcdClient, '/health')).body.includes('true'),
      clientPort: ports.etcdClient,
    },
    members,
    ...(leader === undefined ? {} : { leader }),
    syncStandbys: roles?.syncStandbys ?? [],
    haproxy: { ...haproxy, servers: haproxy.running ? await haproxyServers(ports.haproxyStats) : [] },
    riposte,
    frontends: {
      apiHttpPort: ports.riposteHttp,
      ...(apiReadyz === undefined ? {} : { apiReadyz }),
      postgresWritePort: ports.postgresWrite,
    },
    ...(manifest === undefined ? {} : { rolesSupported: manifest.rolesSupported }),
  };
}

const pidText = (state: ProcessState): string => (state.running ? `pid ${state.pid}` : 'not running');

/** The status as lines for a terminal. */
export function formatClusterStatus(status: ClusterStatus): string[] {
  if (!status.up) return [`The cluster is not running (state: ${status.stateDir}).`];
  const lines = [
    `State: ${status.stateDir}`,
    '',
    `etcd          ${pidText(status.etcd)}, 127.0.0.1:${status.etcd.clientPort} ${status.etcd.healthy ? 'healthy' : 'NOT HEALTHY'}`,
  ];
  lines.push('', 'PostgreSQL under Patroni:');
  for (const member of status.members) {
    const role = member.role === undefined ? 'unknown (its Patroni does not answer)' : `${member.role}, ${member.state}`;
    const details = [
      member.timeline === undefined ? '' : `timeline ${member.timeline}`,
      member.lag === undefined ? '' : `lag ${member.lag}`,
    ].filter(Boolean);
    lines.push(
      `  ${member.name}  127.0.0.1:${member.port}  ${role}${details.length > 0 ? ` (${details.join(', ')})` : ''}; patroni ${pidText(member.patroni)}, postmaster ${
        member.postmasterPid === undefined ? 'not running' : `pid ${member.postmasterPid}`
      }`,
    );
  }
  lines.push(`  leader: ${status.leader ?? 'NONE'}; synchronous standby: ${status.syncStandbys.join(', ') || 'NONE'}`);
  lines.push('', `HAProxy       ${pidText(status.haproxy)}`);
  const backends = [...new Set(status.haproxy.servers.map((server) => server.backend))];
  for (const backend of backends) {
    const servers = status.haproxy.servers
      .filter((server) => server.backend === backend)
      .map((server) => `${server.server} ${server.status}`);
    lines.push(`  ${backend.padEnd(20)} ${servers.join(', ')}`);
  }
  lines.push('', `Riposte${status.rolesSupported === false ? ' (serve has no --role: every process runs all)' : ''}:`);
  for (const process of status.riposte) {
    const ready = process.readyz === undefined ? '' : process.readyz === 200 ? ', ready' : `, /readyz ${process.readyz || 'no answer'}`;
    const https = process.httpsPort > 0 ? `, https ${process.httpsPort}` : '';
    lines.push(`  ${process.name.padEnd(10)} ${pidText(process)}, http ${process.httpPort}${https}${ready}`);
  }
  const frontend =
    status.frontends.apiReadyz === undefined
      ? ''
      : `, /readyz ${status.frontends.apiReadyz === 200 ? 'ready' : status.frontends.apiReadyz}`;
  lines.push(
    '',
    `API frontend: http://127.0.0.1:${status.frontends.apiHttpPort}${frontend}; database write port: 127.0.0.1:${status.frontends.postgresWritePort}`,
  );
  return lines;
}
