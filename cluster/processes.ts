/**
 * The processes the cluster starts, each recorded in `<state>/pids/<name>.json`
 * with its pid and its start time in the kernel's clock ticks: a recorded pid
 * counts as ours only while /proc shows the same start time, so a pid reused
 * by an unrelated process after a crash or a reboot is never signalled.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/PID/stat: tells this process apart from a later one given the same pid. */
  startTicks: number;
  command: string;
  args: string[];
  log: string;
  startedAt: string;
  /** What it was started with (configuration, settings): a process whose fingerprint changed is restarted. */
  fingerprint: string;
}

/** The start time of a live (not zombie) process, or undefined when there is none with that pid. */
export function processStartTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: the fields after it follow its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

export function processCommandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export const isRunning = (record: ProcessRecord): boolean => processStartTicks(record.pid) === record.startTicks;

export function readRecord(pidsDir: string, name: string): ProcessRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(pidsDir, `${name}.json`), 'utf8')) as ProcessRecord;
  } catch {
    return undefined;
  }
}

export function readRecords(pidsDir: string): ProcessRecord[] {
  if (!fs.existsSync(pidsDir)) return [];
  return fs
    .readdirSync(pidsDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => readRecord(pidsDir, file.slice(0, -'.json'.length)))
    .filter((record): record is ProcessRecord => record !== undefined);
}

export function forgetRecord(pidsDir: string, name: string): void {
  fs.rmSync(path.join(pidsDir, `${name}.json`), { force: true });
}

export interface StartRequest {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: string;
  fingerprint: string;
  /** Run as this user (the cluster runs as root and PostgreSQL refuses to): uid and gid. */
  user?: { uid: number; gid: number };
}

/**
 * Starts a process in a session of its own (so a terminal's Ctrl-C does not
 * reach it and it outlives this one), its output appended to its log, and
 * records it before returning.
 */
export async function startRecorded(pidsDir: string, request: StartRequest): Promise<ProcessRecord> {
  fs.mkdirSync(path.dirname(request.log), { recursive: true });
  const output = fs.openSync(request.log, 'a');
  const child = spawn(request.command, request.args, {
    cwd: request.cwd,
    env: request.env,
    detached: true,
    stdio: ['ignore', output, output],
    ...(request.user ?? {}),
  });
  fs.closeSync(output);
  const pid = child.pid;
  if (pid === undefined) {
    const [error] = (await once(child, 'error')) as [Error];
    throw new Error(`${request.name} could not start (${request.command}): ${error.message}`);
  }
  child.unref();
  // The start time is read at once: the process may exit soon, and its record must still tell it apart.
  const startTicks = processStartTicks(pid);
  if (startTicks === undefined) throw new Error(`${request.name} exited at once; see ${request.log}`);
  const record: ProcessRecord = {
    name: request.name,
    pid,
    startTicks,
    command: request.command,
    args: request.args,
    log: request.log,
    startedAt: new Date().toISOString(),
    fingerprint: request.fingerprint,
  };
  fs.mkdirSync(pidsDir, { recursive: true });
  fs.writeFileSync(path.join(pidsDir, `${request.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** Resolves true once the process has exited, false if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, startTicks: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processStartTicks(pid) === startTicks) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, name);
  } catch {
    // Already gone (ESRCH): nothing to stop.
  }
}

/**
 * Stops one recorded process: `gentle` (SIGTERM unless told otherwise) to its
 * process group, then SIGKILL after `graceMs`. Returns how it ended.
 */
export async function stopRecorded(
  record: ProcessRecord,
  options: { graceMs: number; gentle?: NodeJS.Signals },
): Promise<'not running' | 'stopped' | 'killed'> {
  if (!isRunning(record)) return 'not running';
  // Each was started as the leader of its own process group (detached): the group holds it and any helper it forked.
  signal(record.pid, options.gentle ?? 'SIGTERM', true);
  if (await waitForExit(record.pid, record.startTicks, options.graceMs)) return 'stopped';
  signal(record.pid, 'SIGKILL', true);
  await waitForExit(record.pid, record.startTicks, 5_000);
  return 'killed';
}

/** A process this module did not spawn but must stop (a postmaster Patroni left behind), checked by its command line. */
export async function stopUnrecorded(pid: number, expectInCommandLine: string, graceMs: number, gentle: NodeJS.Signals): Promise<boolean> {
  const startTicks = processStartTicks(pid);
  if (startTicks === undefined || !processCommandLine(pid).some((arg) => arg.includes(expectInCommandLine))) return false;
  signal(pid, gentle, false);
  if (!(await waitForExit(pid, startTicks, graceMs))) {
    signal(pid, 'SIGKILL', false);
    await waitForExit(pid, startTicks, 5_000);
  }
  return true;
}
