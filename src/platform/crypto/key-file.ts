import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { refuseSharedPath } from '../../db/private-files.js';
import { KEY_BYTES } from './aes-gcm.js';

/** The embedded default keeps its key-encryption keys here, inside the data directory. */
export const KEY_FILE_NAME = 'keys.json';

const FORMAT = 1;
/** Largest version that fits `data_keys.kek_version` (a 32-bit integer). */
export const MAX_KEY_VERSION = 2_147_483_647;

export interface KeyFileEntry {
  version: number;
  key: Buffer;
  createdAt: string | undefined;
}

interface KeyFileJson {
  format: number;
  note: string;
  keys: { version: number; created_at?: string; key: string }[];
}

const NOTE =
  'Key-encryption keys of Riposte. Keep this file private (chmod 600) and backed up: without it no stored secret can be decrypted. ' +
  'Each key is standard base64, so "VERSION:KEY" pairs can move to RIPOSTE_KEYS unchanged.';

/**
 * Decodes standard base64 and insists on the canonical form, so a typo is an
 * error rather than a silently shorter key.
 */
export function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const key = Buffer.from(text, 'base64');
  if (key.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) return undefined;
  return key;
}

const malformed = (file: string, what: string): AppError =>
  new AppError(
    'InvalidConfiguration',
    `Key file ${file} is not valid: ${what}. Restore it from a backup; editing it by hand risks losing the keys to stored secrets.`,
  );

const unavailable = (file: string, action: string, error: unknown): AppError => {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return new AppError(
    'InvalidConfiguration',
    `Cannot ${action} key file ${file} (${code}). Check that the data directory exists and belongs to the user running Riposte.`,
    { cause: error },
  );
};

function parseKeyFile(file: string, text: string): KeyFileEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed(file, 'it is not JSON');
  }
  const format = (json as Partial<KeyFileJson> | null)?.format;
  if (format !== undefined && format !== FORMAT)
    throw malformed(file, `it has format ${String(format)}, written by a newer Riposte (this one reads ${FORMAT})`);
  const keys = (json as Partial<KeyFileJson> | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw malformed(file, 'it has no "keys" list');
  const seen = new Set<number>();
  return keys.map((entry: Partial<KeyFileJson['keys'][number]>, index) => {
    const { version } = entry;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MAX_KEY_VERSION) {
      throw malformed(file, `key ${index + 1} has no positive integer "version"`);
    }
    if (seen.has(version)) throw malformed(file, `version ${version} appears twice`);
    seen.add(version);
    const key = typeof entry.key === 'string' ? decodeKey(entry.key) : undefined;
    if (key?.length !== KEY_BYTES) throw malformed(file, `version ${version} is not a base64-encoded ${KEY_BYTES}-byte key`);
    return { version, key, createdAt: typeof entry.created_at === 'string' ? entry.created_at : undefined };
  });
}

function serializeKeyFile(entries: readonly KeyFileEntry[]): string {
  const json: KeyFileJson = {
    format: FORMAT,
    note: NOTE,
    keys: entries.map((entry) => ({
      version: entry.version,
      ...(entry.createdAt === undefined ? {} : { created_at: entry.createdAt }),
      key: entry.key.toString('base64'),
    })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Reads the key file, refusing one that group or others may access: the
 * check runs on the open descriptor, so the file cannot be swapped between
 * check and read. Returns `undefined` when there is no file yet.
 */
export function readKeyFile(file: string): KeyFileEntry[] | undefined {
  let descriptor: number;
  try {
    descriptor = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unavailable(file, 'open', error);
  }
  try {
    const stat = fs.fstatSync(descriptor);
    if (!stat.isFile()) throw malformed(file, 'it is not a regular file');
    refuseSharedPath(file, stat, { label: 'Key file', why: 'it holds the keys that protect every stored secret' });
    return parseKeyFile(file, fs.readFileSync(descriptor, 'utf8'));
  } finally {
    fs.closeSync(descriptor);
  }
}

/** Writes `content` to a fresh private file beside `file` (mode 0600 from creation, never wider) and returns its path. */
function writePrivateTemporary(file: string, content: string): string {
  const temporary = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  let descriptor: number;
  try {
    descriptor = fs.openSync(temporary, 'wx', 0o600);
  } catch (error) {
    throw unavailable(file, 'create', error);
  }
  try {
    fs.writeFileSync(descriptor, content);
    fs.fsyncSync(descriptor);
  } catch (error) {
    fs.closeSync(descriptor);
    fs.rmSync(temporary, { force: true });
    throw unavailable(file, 'write', error);
  }
  fs.closeSync(descriptor);
  return temporary;
}

function syncDirectory(directory: string): void {
  try {
    const descriptor = fs.openSync(directory, 'r');
    try {
      fs.fsyncSync(descriptor);
    } finally {
      fs.closeSync(descriptor);
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the rename or link is atomic regardless.
  }
}

/**
 * Creates the key file with `entries` unless it exists. The content is
 * written to a private temporary file first and then hard-linked into place,
 * which fails if another process got there first: so a reader never sees a
 * half-written file, and two first starts agree on one key.
 */
export function createKeyFileIfAbsent(file: string, entries: readonly KeyFileEntry[]): void {
  const temporary = writePrivateTemporary(file, serializeKeyFile(entries));
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unavailable(file, 'create', error);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  syncDirectory(path.dirname(file));
}

/** Replaces the key file atomically (write a private temporary, then rename over it). */
export function replaceKeyFile(file: string, entries: readonly KeyFileEntry[]): void {
  const temporary = writePrivateTemporary(file, serializeKeyFile(entries));
  try {
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw unavailable(file, 'replace', error);
  }
  syncDirectory(path.dirname(file));
}
