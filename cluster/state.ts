/**
 * The state directory's own files: the generated passwords, the lock that
 * keeps two `cluster:up`/`cluster:down` runs apart, and `cluster.json`, what
 * the last `cluster:up` ran (process counts, PostgreSQL version, ports).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterSecrets } from './config-files.js';
import { processStartTicks } from './processes.js';
import type { ClusterPorts, StateLayout } from './topology.js';

const newPassword = (): string => crypto.randomBytes(24).toString('base64url');

/** The cluster's passwords, made on the first `cluster:up` and kept (mode 0600) until the state directory is removed. */
export function loadOrCreateSecrets(layout: StateLayout): ClusterSecrets {
  if (fs.existsSync(layout.secrets)) return JSON.parse(fs.readFileSync(layout.secrets, 'utf8')) as ClusterSecrets;
  const secrets: ClusterSecrets = {
    superuserPassword: newPassword(),
    replicationPassword: newPassword(),
    rewindPassword: newPassword(),
    restApiPassword: newPassword(),
    ripostePassword: newPassword(),
  };
  fs.writeFileSync(layout.secrets, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

export function readSecrets(layout: StateLayout): ClusterSecrets | undefined {
  return fs.existsSync(layout.secrets) ? (JSON.parse(fs.readFileSync(layout.secrets, 'utf8')) as ClusterSecrets) : undefined;
}

export interface ClusterManifest {
  apiProcesses: number;
  workerProcesses: number;
  postgresMajor: number;
  /** Whether `riposte serve` took `--role` when the processes were started (else every process runs `all`). */
  rolesSupported: boolean;
  ports: ClusterPorts;
  upAt: string;
}

const manifestPath = (layout: StateLayout): string => path.join(layout.stateDir, 'cluster.json');

export function readManifest(layout: StateLayout): ClusterManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(manifestPath(layout), 'utf8')) as ClusterManifest;
  } catch {
    return undefined;
  }
}

export function writeManifest(layout: StateLayout, manifest: ClusterManifest): void {
  fs.writeFileSync(manifestPath(layout), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Whether a directory holds a cluster's state (so `--purge` may remove it). */
export const looksLikeClusterState = (layout: StateLayout): boolean => fs.existsSync(layout.pids) || fs.existsSync(layout.secrets);

/**
 * Takes the state directory's lock for the length of `work`: a second
 * `cluster:up` or `cluster:down` while one runs is refused, and a lock left
 * by a run that died is taken over.
 */
function tryTakeLock(layout: StateLayout, mine: string): boolean {
  try {
    fs.writeFileSync(layout.lock, mine, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export async function withStateLock<T>(layout: StateLayout, work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(layout.stateDir, { recursive: true });
  const mine = JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid) });
  if (!tryTakeLock(layout, mine)) {
    const holder = JSON.parse(fs.readFileSync(layout.lock, 'utf8') || '{}') as { pid?: number; startTicks?: number };
    if (holder.pid !== undefined && processStartTicks(holder.pid) === holder.startTicks) {
      throw new Error(`Another cluster command (pid ${holder.pid}) is running on ${layout.stateDir}; wait for it to finish.`);
    }
    // Left by a run that died.
    fs.rmSync(layout.lock, { force: true });
    if (!tryTakeLock(layout, mine)) throw new Error(`Another cluster command took ${layout.lock} just now; wait for it to finish.`);
  }
  try {
    return await work();
  } finally {
    fs.rmSync(layout.lock, { force: true });
  }
}
