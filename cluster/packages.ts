/**
 * The Debian packages the cluster runs on, installed when missing, and what
 * they put where: PostgreSQL's binaries by major version, and the `postgres`
 * system user PostgreSQL runs as when the cluster is started by root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** The command each package provides: enough to tell it is installed. */
const REQUIRED = [
  { pkg: 'patroni', command: '/usr/bin/patroni' },
  { pkg: 'etcd-server', command: '/usr/bin/etcd' },
  { pkg: 'haproxy', command: '/usr/sbin/haproxy' },
] as const;

const POSTGRESQL_LIB = '/usr/lib/postgresql';
/** The version the cluster is written for (Debian 12's); another installed major version is used when it is absent. */
export const PREFERRED_POSTGRESQL_MAJOR = 15;

function installedPostgresqlMajors(): number[] {
  if (!fs.existsSync(POSTGRESQL_LIB)) return [];
  return fs
    .readdirSync(POSTGRESQL_LIB)
    .filter((entry) => /^\d+$/.test(entry) && fs.existsSync(`${POSTGRESQL_LIB}/${entry}/bin/postgres`))
    .map(Number)
    .sort((a, b) => b - a);
}

export interface PostgresqlInstall {
  major: number;
  binDir: string;
}

export function postgresqlInstall(): PostgresqlInstall | undefined {
  const majors = installedPostgresqlMajors();
  const major = majors.includes(PREFERRED_POSTGRESQL_MAJOR) ? PREFERRED_POSTGRESQL_MAJOR : majors[0];
  return major === undefined ? undefined : { major, binDir: `${POSTGRESQL_LIB}/${major}/bin` };
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Installs with apt-get what is missing (patroni, etcd-server, haproxy, and
 * PostgreSQL when no version is installed). Debian's postinst scripts may
 * start the packages' own services on their default ports (etcd on 2379,
 * HAProxy with /etc/haproxy): the cluster uses other ports and leaves them be.
 */
export function ensureDebianPackages(log: (line: string) => void): PostgresqlInstall {
  const missing: string[] = REQUIRED.filter(({ command }) => !fs.existsSync(command)).map(({ pkg }) => pkg);
  if (postgresqlInstall() === undefined) missing.push('postgresql');
  if (missing.length > 0) {
    const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
    if (!isRoot())
      throw new Error(
        `Missing Debian packages: ${missing.join(', ')}. Install them (as root: apt-get update && ${command}) and run again.`,
      );
    log(`Installing ${missing.join(', ')} (apt-get)…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Another apt run may hold dpkg's lock: wait for it rather than fail.
    const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
    for (const args of [
      [...lockWait, 'update', '-q'],
      [...lockWait, 'install', '-y', '-q', '--no-install-recommends', ...missing],
    ]) {
      const run = spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
      if (run.status !== 0) throw new Error(`apt-get ${args.slice(lockWait.length).join(' ')} failed (exit ${run.status ?? run.signal})`);
    }
  }
  const install = postgresqlInstall();
  if (install === undefined) throw new Error(`No PostgreSQL server binaries under ${POSTGRESQL_LIB} after installing postgresql`);
  return install;
}

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * Who runs Patroni and PostgreSQL: initdb refuses root, so as root the
 * cluster runs them as the `postgres` user the PostgreSQL packages create;
 * otherwise as the user running the cluster.
 */
export function postgresOsUser(): OsUser | undefined {
  if (!isRoot()) return undefined;
  let line = '';
  try {
    line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  } catch {
    // Not found: said below.
  }
  const [name, , uid, gid, , home] = line.split(':');
  if (name === undefined || uid === undefined || gid === undefined) throw new Error('No `postgres` system user (getent passwd postgres)');
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/var/lib/postgresql' };
}
