import fs from 'node:fs';
import { AppError } from '../errors.js';

export interface PrivatePathRule {
  /** How the message names the path: "Key file", "Database file", "Data directory". */
  label: string;
  /** Why it must stay private, for the message. */
  why: string;
}

/**
 * Refuses a file or directory that group or others may access, naming the
 * path and the chmod that fixes it (600 for files, 700 for directories).
 * Windows has no POSIX mode bits; its ACLs are the operator's to set.
 *
 * @example
 * refuseSharedPath('/data/riposte.sqlite', fs.statSync('/data/riposte.sqlite'), { label: 'Database file', why: 'it holds every account' });
 */
export function refuseSharedPath(target: string, stat: fs.Stats, rule: PrivatePathRule): void {
  if (process.platform === 'win32' || (stat.mode & 0o077) === 0) return;
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
  throw new AppError(
    'InsecureFileMode',
    `${rule.label} ${target} is accessible by group or others (mode ${mode}), and ${rule.why}. ` +
      `Restrict it with: chmod ${stat.isDirectory() ? '700' : '600'} ${target}`,
  );
}

/**
 * A directory only its owner may enter: created 0700 (then chmod, whatever
 * the umask), or refused when it already exists shared.
 */
export function ensurePrivateDirectory(directory: string, rule: PrivatePathRule): void {
  const created = fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (created !== undefined) fs.chmodSync(directory, 0o700);
  refuseSharedPath(directory, fs.statSync(directory), rule);
}

/**
 * A file only its owner may read: created empty with 0600 (then chmod,
 * whatever the umask) when absent, refused when it exists shared.
 */
export function ensurePrivateFile(file: string, rule: PrivatePathRule): void {
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
    fs.chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  refuseSharedPath(file, fs.statSync(file), rule);
}

/** Refuses `file` if it exists and is shared; absent is fine. */
export function refuseSharedIfPresent(file: string, rule: PrivatePathRule): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  refuseSharedPath(file, stat, rule);
}
