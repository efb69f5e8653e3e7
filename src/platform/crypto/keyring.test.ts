import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { FixedClock } from '../clock.js';
import { createKeyFileIfAbsent, KEY_FILE_NAME } from './key-file.js';
import { loadKeyring, type Keyring } from './keyring.js';

const newKey = (bytes = 32): string => crypto.randomBytes(bytes).toString('base64');
const fileMode = (file: string): number => fs.statSync(file).mode & 0o777;

function thrown(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

/** Wraps a random data key with `writer` and checks `reader` unwraps the same bytes. */
function sharesKeys(writer: Keyring, reader: Keyring): boolean {
  const dataKey = crypto.randomBytes(32);
  const aad = Buffer.from('aad');
  const wrapped = writer.wrapDataKey(Buffer.from(dataKey), aad);
  const result = reader.unwrapDataKey(wrapped.kekVersion, wrapped.wrappedKey, aad);
  return result.ok && result.dataKey.equals(dataKey);
}

describe('file keyring', () => {
  let dataDir: string;
  let keyFile: string;
  const clock = new FixedClock('2026-02-03T04:05:06.000Z');
  beforeEach(() => {
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-keyring-')), 'data');
    keyFile = path.join(dataDir, KEY_FILE_NAME);
  });
  afterEach(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  it('creates the key file with mode 0600 on first load, then reuses it', () => {
    const first = loadKeyring({ keys: undefined, dataDir, clock });
    expect(first.source).toBe('file');
    expect(first.versions).toEqual([1]);
    expect(fileMode(keyFile)).toBe(0o600);
    const json = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { keys: { version: number; created_at: string }[] };
    expect(json.keys).toMatchObject([{ version: 1, created_at: '2026-02-03T04:05:06.000Z' }]);

    const before = fs.readFileSync(keyFile, 'utf8');
    const second = loadKeyring({ keys: undefined, dataDir, clock });
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(before);
    expect(sharesKeys(first, second)).toBe(true);
  });

  it('never overwrites a key file another process created first', () => {
    loadKeyring({ keys: undefined, dataDir });
    const before = fs.readFileSync(keyFile, 'utf8');
    createKeyFileIfAbsent(keyFile, [{ version: 1, key: crypto.randomBytes(32), createdAt: undefined }]);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(before);
    expect(fs.readdirSync(dataDir)).toEqual([KEY_FILE_NAME]);
  });

  it.skipIf(process.platform === 'win32')('refuses a key file that group or others can read, and says how to fix it', () => {
    loadKeyring({ keys: undefined, dataDir });
    for (const mode of [0o640, 0o604, 0o620]) {
      fs.chmodSync(keyFile, mode);
      const error = thrown(() => loadKeyring({ keys: undefined, dataDir }));
      expect(error.code).toBe('InsecureFileMode');
      expect(error.message).toContain(`chmod 600 ${keyFile}`);
    }
    fs.chmodSync(keyFile, 0o600);
    expect(loadKeyring({ keys: undefined, dataDir }).versions).toEqual([1]);
  });

  it('refuses a malformed key file without echoing it', () => {
    fs.mkdirSync(dataDir, { recursive: true });
    const shortKey = newKey(16);
    fs.writeFileSync(keyFile, JSON.stringify({ keys: [{ version: 1, key: shortKey }] }), { mode: 0o600 });
    const error = thrown(() => loadKeyring({ keys: undefined, dataDir }));
    expect(error.code).toBe('InvalidConfiguration');
    expect(error.message).toContain('version 1 is not a base64-encoded 32-byte key');
    expect(error.message).not.toContain(shortKey);
  });

  it('refuses a key file written in a newer format, or holding no key', () => {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(keyFile, JSON.stringify({ format: 2, keys: [{ version: 1, key: newKey() }] }), { mode: 0o600 });
    expect(thrown(() => loadKeyring({ keys: undefined, dataDir })).message).toContain('format 2, written by a newer Riposte');
    fs.writeFileSync(keyFile, JSON.stringify({ format: 1, keys: [] }), { mode: 0o600 });
    expect(thrown(() => loadKeyring({ keys: undefined, dataDir })).message).toContain('no "keys" list');
  });

  it('adds a key version: it becomes current, the file stays 0600, older versions still unwrap', () => {
    const keyring = loadKeyring({ keys: undefined, dataDir, clock });
    const before = loadKeyring({ keys: undefined, dataDir });
    expect(keyring.addKeyVersion()).toBe(2);
    expect(keyring.currentVersion).toBe(2);
    expect(fileMode(keyFile)).toBe(0o600);
    expect(fs.readdirSync(dataDir)).toEqual([KEY_FILE_NAME]);

    const reloaded = loadKeyring({ keys: undefined, dataDir });
    expect(reloaded.versions).toEqual([1, 2]);
    expect(sharesKeys(before, reloaded)).toBe(true);
    expect(sharesKeys(keyring, reloaded)).toBe(true);
    expect(reloaded.wrapDataKey(crypto.randomBytes(32), Buffer.from('x')).kekVersion).toBe(2);
  });

  it('picks up a version another process added before adding its own', () => {
    const stale = loadKeyring({ keys: undefined, dataDir });
    loadKeyring({ keys: undefined, dataDir }).addKeyVersion();
    expect(stale.addKeyVersion()).toBe(3);
    expect(loadKeyring({ keys: undefined, dataDir }).versions).toEqual([1, 2, 3]);
  });

  it('never shows key material when printed', () => {
    const keyring = loadKeyring({ keys: undefined, dataDir });
    const json = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { keys: { key: string }[] };
    const key = json.keys[0]?.key ?? '';
    expect(util.inspect(keyring)).toBe("Keyring { source: 'file', versions: [1] }");
    expect(JSON.stringify(keyring)).toBe('{"source":"file","versions":[1]}');
    expect(util.inspect(keyring, { showHidden: true, depth: 10 })).not.toContain(key);
  });
});

describe('RIPOSTE_KEYS keyring', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-keyring-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('parses VERSION:BASE64 pairs; the highest version encrypts, and no key file is written', () => {
    const keyring = loadKeyring({ keys: `2:${newKey()},1:${newKey()}`, dataDir });
    expect(keyring.source).toBe('environment');
    expect(keyring.versions).toEqual([1, 2]);
    expect(keyring.currentVersion).toBe(2);
    expect(keyring.keyFile).toBeUndefined();
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('accepts the keys of a key file, so they can move to the environment unchanged', () => {
    const fileKeyring = loadKeyring({ keys: undefined, dataDir });
    const json = JSON.parse(fs.readFileSync(path.join(dataDir, KEY_FILE_NAME), 'utf8')) as { keys: { version: number; key: string }[] };
    const fromEnvironment = loadKeyring({ keys: json.keys.map((k) => `${k.version}:${k.key}`).join(','), dataDir });
    expect(sharesKeys(fileKeyring, fromEnvironment)).toBe(true);
  });

  const secret = newKey();
  it.each([
    ['a key of the wrong length', `1:${newKey(16)}`, 'version 1 decodes to 16 bytes, not 32'],
    ['a key that is not base64', `1:${secret.slice(0, 20)}*${secret.slice(21)}`, 'version 1 is not valid base64'],
    [
      'base64url instead of base64',
      `1:${crypto.randomBytes(32).toString('base64url').replace(/^./, '-')}`,
      'version 1 is not valid base64',
    ],
    ['a pair without a version', secret, 'entry 1 is not VERSION:BASE64'],
    ['version 0', `0:${secret}`, 'entry 1 has version "0", not a positive integer'],
    ['a non-numeric version', `v2:${secret}`, 'entry 1 has version "v2", not a positive integer'],
    ['a version given twice', `1:${newKey()},1:${secret}`, 'gives version 1 twice'],
    ['an empty key', `1:${newKey()},2:`, 'version 2 is not valid base64'],
  ])('refuses %s, naming RIPOSTE_KEYS and what it expects, never the key', (_label, keys, problem) => {
    const error = thrown(() => loadKeyring({ keys, dataDir }));
    expect(error.code).toBe('InvalidConfiguration');
    expect(error.message).toContain(problem);
    expect(error.message).toContain('RIPOSTE_KEYS expects comma-separated VERSION:BASE64 pairs');
    expect(error.message).toContain('32 bytes in standard base64');
    for (const pair of keys.split(',')) {
      const key = pair.split(':').at(-1) ?? '';
      if (key.length > 8) expect(error.message).not.toContain(key);
    }
  });

  it('leaves adding a key to the operator, and says how', () => {
    const keyring = loadKeyring({ keys: `1:${newKey()}`, dataDir });
    const error = thrown(() => keyring.addKeyVersion());
    expect(error.code).toBe('KeysManagedByEnvironment');
    expect(error.message).toContain('RIPOSTE_KEYS');
    expect(error.message).toContain('riposte keys rotate');
  });

  it('refuses to unwrap under an unknown version or with the wrong additional data', () => {
    const keyring = loadKeyring({ keys: `1:${newKey()}`, dataDir });
    const wrapped = keyring.wrapDataKey(crypto.randomBytes(32), Buffer.from('account 1, key 1'));
    expect(keyring.unwrapDataKey(2, wrapped.wrappedKey, Buffer.from('account 1, key 1'))).toEqual({
      ok: false,
      reason: 'unknown-key-version',
    });
    expect(keyring.unwrapDataKey(1, wrapped.wrappedKey, Buffer.from('account 2, key 1'))).toEqual({
      ok: false,
      reason: 'authentication-failed',
    });
    const other = loadKeyring({ keys: `1:${newKey()}`, dataDir });
    expect(other.unwrapDataKey(1, wrapped.wrappedKey, Buffer.from('account 1, key 1'))).toEqual({
      ok: false,
      reason: 'authentication-failed',
    });
  });
});
