/**
 * Riposte's processes in the cluster: `riposte serve --role api|worker` on
 * their own ports, all with one `DATABASE_URL` (HAProxy's write port) and
 * one data directory (so one set of keys, as `RIPOSTE_KEYS` would give
 * processes on several machines).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterSecrets } from './config-files.js';
import { riposteDatabaseUrl } from './postgres.js';
import { CLUSTER_PORTS, REPO_ROOT, type ClusterPorts, type RiposteProcessSpec, type StateLayout } from './topology.js';

export const RIPOSTE_ENTRY = path.join(REPO_ROOT, 'dist', 'cli', 'index.js');

/**
 * Builds Riposte when `dist/` is missing or older than the sources (as
 * `npx riposte` does, once, before any process starts) and tells whether
 * `riposte serve` takes `--role`.
 */
export function prepareRiposte(): { rolesSupported: boolean } {
  const help = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'riposte.mjs'), 'serve', '--help'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (help.status !== 0) throw new Error(`\`riposte serve --help\` failed (exit ${help.status ?? help.signal}):\n${help.stderr}`);
  return { rolesSupported: /--role\b/.test(help.stdout) };
}

export interface RiposteLaunch {
  args: string[];
  /** The settings this process is given; the rest of the environment is the caller's. */
  settings: Record<string, string>;
  /** Changes when its arguments or settings change: a running process with another is restarted. */
  fingerprint: string;
}

export function riposteLaunch(
  spec: RiposteProcessSpec,
  context: {
    layout: StateLayout;
    secrets: ClusterSecrets;
    rolesSupported: boolean;
    riposteEnv: Record<string, string>;
    ports?: ClusterPorts;
  },
): RiposteLaunch {
  const ports = context.ports ?? CLUSTER_PORTS;
  const args = [RIPOSTE_ENTRY, 'serve', ...(context.rolesSupported ? ['--role', spec.role] : [])];
  const settings: Record<string, string> = {
    RIPOSTE_PUBLIC_URL: process.env.RIPOSTE_PUBLIC_URL ?? `http://localhost:${ports.riposteHttp}`,
    // Warnings and errors only unless asked: at info, every request is a log line.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...context.riposteEnv,
    DATABASE_URL: riposteDatabaseUrl(ports, context.secrets, spec.name),
    RIPOSTE_DATA_DIR: context.layout.riposteData,
    HOST: '127.0.0.1',
    PORT: String(spec.httpPort),
    HTTPS_PORT: String(spec.httpsPort),
    // HAProxy's HTTP frontend connects from 127.0.0.1 and appends the client to X-Forwarded-For.
    RIPOSTE_TRUST_PROXY: context.riposteEnv.RIPOSTE_TRUST_PROXY ?? '127.0.0.1',
  };
  // A new build (dist/ rewritten) restarts the processes, so none keeps running code older than the sources.
  const builtAt = fs.statSync(RIPOSTE_ENTRY, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ args, settings, builtAt })).digest('hex');
  return { args, settings, fingerprint };
}

/** The environment of a Riposte process: the caller's, less a role it may carry, plus the process's settings. */
export function riposteEnvironment(launch: RiposteLaunch): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...launch.settings };
  delete env.RIPOSTE_ROLE;
  return env;
}
