/**
 * Keeping the cluster's processes as asked: each started once, kept while it
 * runs with the configuration it was started with, restarted when that
 * changed; waiting on one fails at once, with the end of its log, if it exits.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OsUser } from './packages.js';
import { portAnswers, waitFor } from './probes.js';
import { isRunning, readRecord, startRecorded, stopRecorded, type ProcessRecord, type StartRequest } from './processes.js';
import { REPO_ROOT, type StateLayout } from './topology.js';

export const RIPOSTE_NAME = /^(api|worker)-\d+$/;
/** How long each kind of process may take to stop before it is killed: Patroni shuts its PostgreSQL down first. */
export const STOP_GRACE_MS = { riposte: 15_000, haproxy: 5_000, patroni: 120_000, etcd: 15_000 } as const;

export const fingerprintOf = (...parts: unknown[]): string => crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export function logTail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls like `waitFor`, failing at once with the end of its log if the process it waits on has exited. */
export function waitOnProcess<T>(
  record: ProcessRecord,
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  return waitFor(
    what,
    async () => {
      if (!isRunning(record)) {
        throw new Error(
          `${record.name} (pid ${record.pid}) exited while waiting for ${what}; the end of ${record.log}:\n${logTail(record.log)}`,
        );
      }
      return check();
    },
    { timeoutMs, intervalMs: 250, describe: () => `the end of ${record.log}:\n${logTail(record.log)}` },
  );
}

export type Outcome = 'kept' | 'started' | 'restarted';

/**
 * Keeps a recorded process that runs with the same fingerprint, restarts one
 * whose fingerprint changed, starts one that is not running (after checking
 * that nothing else holds its ports).
 */
export async function ensureProcess(
  layout: StateLayout,
  request: StartRequest & { ports: number[]; graceMs: number },
  log: (line: string) => void,
): Promise<{ record: ProcessRecord; outcome: Outcome }> {
  const existing = readRecord(layout.pids, request.name);
  let outcome: Outcome = 'started';
  if (existing !== undefined && isRunning(existing)) {
    if (existing.fingerprint === request.fingerprint) return { record: existing, outcome: 'kept' };
    log(`${request.name}: configuration changed, restarting (pid ${existing.pid})`);
    await stopRecorded(existing, { graceMs: request.graceMs });
    outcome = 'restarted';
  }
  for (const port of request.ports) {
    // A process just stopped may take a moment to let its port go.
    const deadline = Date.now() + (outcome === 'restarted' ? 10_000 : 2_000);
    while (await portAnswers(port)) {
      if (Date.now() > deadline) {
        throw new Error(
          `Port ${port}, needed by ${request.name}, is taken by a process this cluster did not start (ss -ltnp 'sport = :${port}')`,
        );
      }
      await sleep(200);
    }
  }
  const record = await startRecorded(layout.pids, request);
  log(`${request.name}: ${outcome} (pid ${record.pid}, log ${path.relative(REPO_ROOT, record.log) || record.log})`);
  return { record, outcome };
}

/** Writes a file when its content differs (so an unchanged configuration keeps its timestamp), with its mode and owner. */
export function writeConfig(file: string, content: string, owner?: OsUser): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (current !== content) fs.writeFileSync(file, content, { mode: 0o600 });
  if (owner !== undefined) fs.chownSync(file, owner.uid, owner.gid);
}
