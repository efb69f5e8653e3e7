/**
 * The three PostgreSQL members as Patroni reports them, their postmasters
 * (started by Patroni, found through each data directory's postmaster.pid),
 * and Riposte's role and database, made through the write port.
 */
import fs from 'node:fs';
import pg from 'pg';
import type { ClusterSecrets } from './config-files.js';
import { processCommandLine, processStartTicks } from './processes.js';
import { httpGetJson } from './probes.js';
import {
  POSTGRES_MEMBERS,
  RIPOSTE_DATABASE,
  RIPOSTE_DATABASE_USER,
  type ClusterPorts,
  type PostgresMemberName,
  type StateLayout,
} from './topology.js';

/** A member in Patroni's `GET /cluster` (Patroni 3.0: role is `leader`, `sync_standby` or `replica`). */
export interface PatroniMember {
  name: string;
  role: string;
  state: string;
  host: string;
  port: number;
  timeline?: number;
  lag?: number | string;
}

export interface PatroniCluster {
  members: PatroniMember[];
}

/** The cluster as the first member whose REST API answers sees it, or undefined when none answers. */
export async function patroniCluster(ports: ClusterPorts): Promise<PatroniCluster | undefined> {
  for (const port of ports.patroniRest) {
    const cluster = await httpGetJson<PatroniCluster>(port, '/cluster', 1_500);
    if (cluster?.members !== undefined) return cluster;
  }
  return undefined;
}

/** The running leader and its synchronous standbys, once Patroni has both. */
export function leaderAndSyncStandby(cluster: PatroniCluster | undefined): { leader: string; syncStandbys: string[] } | undefined {
  const leader = cluster?.members.find((member) => member.role === 'leader' && member.state === 'running');
  const syncStandbys = (cluster?.members ?? []).filter(
    (member) => member.role === 'sync_standby' && ['running', 'streaming'].includes(member.state),
  );
  return leader === undefined || syncStandbys.length === 0
    ? undefined
    : { leader: leader.name, syncStandbys: syncStandbys.map((member) => member.name) };
}

/** The pid of a member's postmaster, when its data directory's postmaster.pid names a live process running on that directory. */
export function postmasterPid(layout: StateLayout, member: PostgresMemberName): number | undefined {
  const dataDir = layout.member(member).data;
  let pid: number;
  try {
    pid = Number(fs.readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || processStartTicks(pid) === undefined) return undefined;
  return processCommandLine(pid).some((arg) => arg.includes(dataDir)) ? pid : undefined;
}

export function postmasterPids(layout: StateLayout): Record<PostgresMemberName, number | undefined> {
  return Object.fromEntries(POSTGRES_MEMBERS.map((member) => [member, postmasterPid(layout, member)])) as Record<
    PostgresMemberName,
    number | undefined
  >;
}

export function superuserUrl(ports: ClusterPorts, secrets: ClusterSecrets, database = 'postgres'): string {
  return `postgres://postgres:${encodeURIComponent(secrets.superuserPassword)}@127.0.0.1:${ports.postgresWrite}/${database}`;
}

/** Riposte's `DATABASE_URL`: through HAProxy's write port, so it always reaches the current primary. */
export function riposteDatabaseUrl(ports: ClusterPorts, secrets: ClusterSecrets, applicationName?: string): string {
  const url = new URL(`postgres://127.0.0.1:${ports.postgresWrite}/${RIPOSTE_DATABASE}`);
  url.username = RIPOSTE_DATABASE_USER;
  url.password = secrets.ripostePassword;
  if (applicationName !== undefined) url.searchParams.set('application_name', applicationName);
  return url.toString();
}

/** Whether the write port reaches a primary that takes the superuser's password. */
export async function writePortReachesPrimary(ports: ClusterPorts, secrets: ClusterSecrets): Promise<boolean> {
  const client = new pg.Client({ connectionString: superuserUrl(ports, secrets), connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ standby: boolean }>('select pg_is_in_recovery() as standby');
    return rows[0]?.standby === false;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Riposte's role (its password as in the secrets) and database, made or brought up to date; idempotent. */
export async function ensureRiposteDatabase(ports: ClusterPorts, secrets: ClusterSecrets): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl(ports, secrets), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const role = client.escapeIdentifier(RIPOSTE_DATABASE_USER);
    const password = client.escapeLiteral(secrets.ripostePassword);
    const { rowCount: roles } = await client.query('select 1 from pg_roles where rolname = $1', [RIPOSTE_DATABASE_USER]);
    await client.query(roles === 0 ? `create role ${role} login password ${password}` : `alter role ${role} login password ${password}`);
    const { rowCount: databases } = await client.query('select 1 from pg_database where datname = $1', [RIPOSTE_DATABASE]);
    if (databases === 0) await client.query(`create database ${client.escapeIdentifier(RIPOSTE_DATABASE)} owner ${role}`);
  } finally {
    await client.end();
  }
}
