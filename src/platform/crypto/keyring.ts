import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { AppError } from '../../errors.js';
import { systemClock, type Clock } from '../clock.js';
import { decodeBox, decryptAesGcm, encodeBox, encryptAesGcm, KEY_BYTES } from './aes-gcm.js';
import {
  createKeyFileIfAbsent,
  decodeKey,
  KEY_FILE_NAME,
  MAX_KEY_VERSION,
  readKeyFile,
  replaceKeyFile,
  type KeyFileEntry,
} from './key-file.js';

/** Where the key-encryption keys came from: `RIPOSTE_KEYS`, or the key file of the embedded default. */
export type KeySource = 'environment' | 'file';

export interface KeyringOptions {
  /** The `RIPOSTE_KEYS` setting: `VERSION:BASE64,VERSION:BASE64`. Unset: use `<dataDir>/keys.json`. */
  keys: string | undefined;
  dataDir: string;
  /** Stamps `created_at` on keys written to the key file. */
  clock?: Clock;
}

export interface WrappedDataKey {
  kekVersion: number;
  wrappedKey: string;
}

/** What a derived key is for; each purpose gets its own key from every version. */
export type DerivedKeyPurpose = 'audit-chain' | 'exposed-password';

export type UnwrapResult = { ok: true; dataKey: Buffer } | { ok: false; reason: 'unknown-key-version' | 'authentication-failed' };

/**
 * Versioned key-encryption keys (KEKs). The highest version wraps new data
 * keys; every version unwraps. The key bytes never leave this object: it
 * wraps and unwraps, and prints as its versions only.
 */
export class Keyring {
  readonly source: KeySource;
  readonly #keys = new Map<number, KeyObject>();
  readonly #derived = new Map<string, KeyObject>();
  readonly #keyFile: string | undefined;
  readonly #clock: Clock;

  /** Use {@link loadKeyring}. */
  constructor(source: KeySource, entries: readonly KeyFileEntry[], keyFile: string | undefined, clock: Clock) {
    if (entries.length === 0) {
      throw new AppError('InvalidConfiguration', `The keyring from ${keyFile ?? 'RIPOSTE_KEYS'} holds no key; it needs at least one.`);
    }
    this.source = source;
    this.#keyFile = keyFile;
    this.#clock = clock;
    this.#remember(entries);
  }

  /** The key file path (file keyring), for messages; `undefined` when keys come from RIPOSTE_KEYS. */
  get keyFile(): string | undefined {
    return this.#keyFile;
  }

  /** The version that wraps new data keys: the highest. */
  get currentVersion(): number {
    return Math.max(...this.#keys.keys());
  }

  /** Every version held, ascending. */
  get versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  has(version: number): boolean {
    return this.#keys.has(version);
  }

  /** Wraps a data key under the current version; `aad` binds it to where it belongs. */
  wrapDataKey(dataKey: Buffer, aad: Buffer): WrappedDataKey {
    const kekVersion = this.currentVersion;
    const kek = this.#keys.get(kekVersion) as KeyObject;
    return { kekVersion, wrappedKey: encodeBox(encryptAesGcm(kek, dataKey, aad)) };
  }

  unwrapDataKey(kekVersion: number, wrappedKey: string, aad: Buffer): UnwrapResult {
    const kek = this.#keys.get(kekVersion);
    if (kek === undefined) return { ok: false, reason: 'unknown-key-version' };
    const box = decodeBox(wrappedKey);
    const dataKey = box === undefined ? undefined : decryptAesGcm(kek, box, aad);
    return dataKey?.length === KEY_BYTES ? { ok: true, dataKey } : { ok: false, reason: 'authentication-failed' };
  }

  /**
   * A key for `purpose` derived (HKDF-SHA256) from key version `version`,
   * or `undefined` when the keyring does not hold that version. The same
   * keys always derive the same key, in every process.
   */
  derivedKey(purpose: DerivedKeyPurpose, version: number): KeyObject | undefined {
    const cacheKey = `${purpose}:${version}`;
    const cached = this.#derived.get(cacheKey);
    if (cached !== undefined) return cached;
    const kek = this.#keys.get(version);
    if (kek === undefined) return undefined;
    const bytes = Buffer.from(crypto.hkdfSync('sha256', kek, Buffer.alloc(0), `riposte:${purpose}:v${version}`, KEY_BYTES));
    const derived = crypto.createSecretKey(bytes);
    bytes.fill(0);
    this.#derived.set(cacheKey, derived);
    return derived;
  }

  /**
   * Adds a random key one version above the highest and makes it current.
   * File keyring only: the file is re-read first (another process may have
   * added a version) and rewritten atomically with mode 0600.
   *
   * @example
   * const version = keyring.addKeyVersion(); // then rewrapDataKeys(...)
   */
  addKeyVersion(): number {
    if (this.#keyFile === undefined) {
      throw new AppError(
        'KeysManagedByEnvironment',
        'The key-encryption keys come from RIPOSTE_KEYS, so Riposte cannot add one. Append a new VERSION:BASE64 pair with a higher version ' +
          '(e.g. `,N:` followed by the output of `openssl rand -base64 32`) to RIPOSTE_KEYS everywhere Riposte runs, restart, ' +
          'then run `riposte keys rotate` to re-wrap the data keys under it. Remove the old pair only after that.',
      );
    }
    const onDisk = readKeyFile(this.#keyFile) ?? [];
    const version = Math.max(...onDisk.map((entry) => entry.version), ...this.#keys.keys()) + 1;
    if (version > MAX_KEY_VERSION) throw new AppError('InvalidConfiguration', `Key version ${version} is beyond the largest allowed.`);
    const entries = [...onDisk, { version, key: crypto.randomBytes(KEY_BYTES), createdAt: this.#clock.now().toISOString() }];
    replaceKeyFile(this.#keyFile, entries);
    this.#remember(entries);
    return version;
  }

  toJSON(): { source: KeySource; versions: number[] } {
    return { source: this.source, versions: this.versions };
  }

  [util.inspect.custom](): string {
    return `Keyring { source: '${this.source}', versions: [${this.versions.join(', ')}] }`;
  }

  #remember(entries: readonly KeyFileEntry[]): void {
    for (const entry of entries) {
      this.#keys.set(entry.version, crypto.createSecretKey(entry.key));
      entry.key.fill(0);
    }
  }
}

const EXPECTS =
  'RIPOSTE_KEYS expects comma-separated VERSION:BASE64 pairs, each VERSION a positive integer and each key 32 bytes in standard base64 ' +
  '(generate one with: openssl rand -base64 32)';

const badEnvironmentKeys = (problem: string): AppError => new AppError('InvalidConfiguration', `${problem}. ${EXPECTS}.`);

/** Parses `RIPOSTE_KEYS`. Errors name the entry or version, never the key. */
export function parseEnvironmentKeys(raw: string): KeyFileEntry[] {
  const seen = new Set<number>();
  return raw.split(',').map((pair, index) => {
    const match = /^\s*([^:\s]*):(\S*)\s*$/.exec(pair);
    if (match === null) throw badEnvironmentKeys(`RIPOSTE_KEYS entry ${index + 1} is not VERSION:BASE64`);
    const [, versionText = '', keyText = ''] = match;
    const version = Number(versionText);
    if (!/^\d+$/.test(versionText) || version < 1 || version > MAX_KEY_VERSION) {
      throw badEnvironmentKeys(`RIPOSTE_KEYS entry ${index + 1} has version "${versionText}", not a positive integer`);
    }
    if (seen.has(version)) throw badEnvironmentKeys(`RIPOSTE_KEYS gives version ${version} twice`);
    seen.add(version);
    const key = decodeKey(keyText);
    if (key === undefined) throw badEnvironmentKeys(`RIPOSTE_KEYS version ${version} is not valid base64`);
    if (key.length !== KEY_BYTES)
      throw badEnvironmentKeys(`RIPOSTE_KEYS version ${version} decodes to ${key.length} bytes, not ${KEY_BYTES}`);
    return { version, key, createdAt: undefined };
  });
}

function loadFileKeyring(dataDir: string, clock: Clock): Keyring {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, KEY_FILE_NAME);
  let entries = readKeyFile(file);
  if (entries === undefined) {
    createKeyFileIfAbsent(file, [{ version: 1, key: crypto.randomBytes(KEY_BYTES), createdAt: clock.now().toISOString() }]);
    // Read back rather than trust what we wrote: a concurrent first start may have won the race.
    entries = readKeyFile(file) ?? [];
  }
  return new Keyring('file', entries, file, clock);
}

/**
 * Loads the key-encryption keys: from `keys` (`RIPOSTE_KEYS`) when set,
 * otherwise from `<dataDir>/keys.json`, which is created with one random key
 * (mode 0600) on first start. A key file that group or others can access is
 * refused.
 *
 * @example
 * const keyring = loadKeyring({ keys: config.keys, dataDir: config.dataDir });
 * keyring.currentVersion; // 1 on a fresh data directory
 */
export function loadKeyring(options: KeyringOptions): Keyring {
  const clock = options.clock ?? systemClock;
  if (options.keys === undefined || options.keys.trim() === '') return loadFileKeyring(options.dataDir, clock);
  return new Keyring('environment', parseEnvironmentKeys(options.keys), undefined, clock);
}
