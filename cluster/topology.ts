/**
 * What the local cluster runs and where: one etcd member, three PostgreSQL
 * instances under Patroni, one HAProxy, N API and M worker processes of
 * Riposte. Every address is on loopback and every port apart from a system
 * PostgreSQL's 5432, so the cluster sits beside whatever else the machine runs.
 */
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** Patroni's cluster name (its `scope`) and the etcd prefix it keeps its keys under. */
export const PATRONI_SCOPE = 'riposte';
export const PATRONI_NAMESPACE = '/riposte-cluster/';

/** The database and role Riposte uses; the superuser stays Patroni's. */
export const RIPOSTE_DATABASE = 'riposte';
export const RIPOSTE_DATABASE_USER = 'riposte';

export const POSTGRES_MEMBERS = ['pg1', 'pg2', 'pg3'] as const;
export type PostgresMemberName = (typeof POSTGRES_MEMBERS)[number];

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  /** PostgreSQL port of each member, in `POSTGRES_MEMBERS` order. */
  postgres: readonly number[];
  /** Patroni REST API port of each member, in `POSTGRES_MEMBERS` order. */
  patroniRest: readonly number[];
  /** HAProxy: connections here reach the current primary. */
  postgresWrite: number;
  /** HAProxy: the API processes' HTTP, behind one address. */
  riposteHttp: number;
  /** HAProxy: the API processes' HTTPS, passed through (Riposte terminates TLS and picks certificates by SNI). */
  riposteHttps: number;
  haproxyStats: number;
  /** HTTP port of API process i (1-based) is `apiHttpBase + i`; its HTTPS port `apiHttpsBase + i`. */
  apiHttpBase: number;
  apiHttpsBase: number;
  /** Health and metrics port of worker process j (1-based) is `workerHttpBase + j`. */
  workerHttpBase: number;
}

export const CLUSTER_PORTS: ClusterPorts = {
  etcdClient: 2479,
  etcdPeer: 2480,
  postgres: [5433, 5434, 5435],
  patroniRest: [8008, 8009, 8010],
  postgresWrite: 5440,
  riposteHttp: 8080,
  riposteHttps: 8443,
  haproxyStats: 8404,
  apiHttpBase: 3100,
  apiHttpsBase: 3450,
  workerHttpBase: 3200,
};

/** Loopback address HAProxy connects to the API processes' HTTPS from: not a trusted proxy, so a client's own X-Forwarded-For there is ignored. */
export const HTTPS_PASSTHROUGH_SOURCE = '127.0.0.2';

export interface ClusterOptions {
  /** The state directory: `$RIPOSTE_CLUSTER_DIR`, else `.cluster/` in the repository. */
  stateDir?: string;
  /** API processes (`riposte serve --role api`): `$RIPOSTE_CLUSTER_API`, else 2. */
  apiProcesses?: number;
  /** Worker processes (`riposte serve --role worker`): `$RIPOSTE_CLUSTER_WORKERS`, else 2. */
  workerProcesses?: number;
  /** Extra environment for every Riposte process (Riposte settings such as `RIPOSTE_PASSWORD_RATE_LIMIT`). */
  riposteEnv?: Record<string, string>;
  /** Progress lines; defaults to stderr. */
  log?: (line: string) => void;
}

export interface ResolvedOptions {
  stateDir: string;
  apiProcesses: number;
  workerProcesses: number;
  riposteEnv: Record<string, string>;
  log: (line: string) => void;
}

function processCount(value: number | undefined, env: string | undefined, fallback: number, what: string): number {
  const count = value ?? (env === undefined || env === '' ? fallback : Number(env));
  if (!Number.isInteger(count) || count < 0 || count > 50)
    throw new Error(`${what} must be a whole number from 0 to 50, not ${String(count)}`);
  return count;
}

export function resolveOptions(options: ClusterOptions = {}): ResolvedOptions {
  const fromEnv = process.env.RIPOSTE_CLUSTER_DIR;
  return {
    stateDir: path.resolve(options.stateDir ?? (fromEnv === undefined || fromEnv === '' ? path.join(REPO_ROOT, '.cluster') : fromEnv)),
    apiProcesses: processCount(options.apiProcesses, process.env.RIPOSTE_CLUSTER_API, 2, 'the number of API processes'),
    workerProcesses: processCount(options.workerProcesses, process.env.RIPOSTE_CLUSTER_WORKERS, 2, 'the number of worker processes'),
    riposteEnv: options.riposteEnv ?? {},
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}

export type RiposteRole = 'api' | 'worker';

export interface RiposteProcessSpec {
  /** `api-1`, `worker-2`: also its PostgreSQL `application_name` and its pid file's name. */
  name: string;
  role: RiposteRole;
  httpPort: number;
  /** 0 for a worker: it serves no HTTPS. */
  httpsPort: number;
}

export function riposteProcessSpecs(apiProcesses: number, workerProcesses: number, ports = CLUSTER_PORTS): RiposteProcessSpec[] {
  const api = Array.from({ length: apiProcesses }, (_, index) => ({
    name: `api-${index + 1}`,
    role: 'api' as const,
    httpPort: ports.apiHttpBase + index + 1,
    httpsPort: ports.apiHttpsBase + index + 1,
  }));
  const workers = Array.from({ length: workerProcesses }, (_, index) => ({
    name: `worker-${index + 1}`,
    role: 'worker' as const,
    httpPort: ports.workerHttpBase + index + 1,
    httpsPort: 0,
  }));
  return [...api, ...workers];
}

/** Where each piece keeps its files under the state directory. */
export function stateLayout(stateDir: string) {
  return {
    stateDir,
    pids: path.join(stateDir, 'pids'),
    logs: path.join(stateDir, 'logs'),
    secrets: path.join(stateDir, 'secrets.json'),
    lock: path.join(stateDir, 'lock'),
    etcdData: path.join(stateDir, 'etcd'),
    haproxyConfig: path.join(stateDir, 'haproxy', 'haproxy.cfg'),
    riposteData: path.join(stateDir, 'riposte'),
    /** A member's directory (owned by the user PostgreSQL runs as): its Patroni config, data directory, socket and pgpass. */
    member: (name: PostgresMemberName) => {
      const dir = path.join(stateDir, 'postgres', name);
      return { dir, config: path.join(dir, 'patroni.yml'), data: path.join(dir, 'data'), pgpass: path.join(dir, 'pgpass') };
    },
  };
}
export type StateLayout = ReturnType<typeof stateLayout>;
