import crypto from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../clock.js';
import { decodeBox, decryptAesGcm, encodeBox, encryptAesGcm, KEY_BYTES, type AesGcmBox } from './aes-gcm.js';
import { insertDataKeys, readDataKeys, type DataKeyRow } from './crypto.repo.js';
import type { Keyring } from './keyring.js';

/** Where a secret lives. The ciphertext is bound to exactly this place. */
export interface SecretLocation {
  accountId: number;
  /** Table name, e.g. `app_installations`. */
  table: string;
  /** Column name, e.g. `secure_settings`. */
  column: string;
  /** The row's id within the account (or its primary key as text). */
  rowId: number | string;
}

export interface SecretToSeal extends SecretLocation {
  plaintext: string;
}

export interface SealedSecret extends SecretLocation {
  /** The value stored in the column, as returned by {@link sealSecret}. */
  sealed: string;
}

/** The first part of every sealed value; a new layout gets a new prefix. */
const SEALED_FORMAT = 'v1';
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Additional data of a wrapped data key: it unwraps only for its own account and id. */
export const dataKeyAad = (accountId: number, dataKeyId: number): Buffer =>
  Buffer.from(`riposte:data_keys:${accountId}:${dataKeyId}`, 'utf8');

const secretAad = (location: SecretLocation): Buffer =>
  Buffer.from(`${location.accountId}:${location.table}:${location.column}:${location.rowId}`, 'utf8');

function assertLocation(location: SecretLocation): void {
  const rowIdOk =
    typeof location.rowId === 'string' ? location.rowId.length > 0 : Number.isSafeInteger(location.rowId) && location.rowId >= 0;
  if (
    !Number.isSafeInteger(location.accountId) ||
    location.accountId < 0 ||
    !IDENTIFIER.test(location.table) ||
    !IDENTIFIER.test(location.column) ||
    !rowIdOk
  ) {
    // A programming error, never user input: say which part is wrong, not the secret.
    throw new AppError(
      'InvalidSecretLocation',
      500,
      `A secret location needs a non-negative account id, lower-case table and column names and a row id; got ${JSON.stringify({ accountId: location.accountId, table: location.table, column: location.column, rowId: location.rowId })}.`,
    );
  }
}

function integrityError(location: SecretLocation, detail: string): AppError {
  return new AppError(
    'SecretIntegrityError',
    500,
    `The stored secret for ${location.table}.${location.column} of row ${location.rowId} failed authentication: it was altered or copied from another record.`,
    { detail: `account ${location.accountId}: ${detail}` },
  );
}

function missingKeyVersionError(location: SecretLocation, kekVersion: number, keyring: Keyring): AppError {
  return new AppError(
    'SecretIntegrityError',
    500,
    `The stored secret for ${location.table}.${location.column} of row ${location.rowId} cannot be decrypted: its data key is wrapped with ` +
      `key version ${kekVersion}, which the keyring does not hold (it holds ${keyring.versions.join(', ')}). Put that key back in RIPOSTE_KEYS ` +
      'or keys.json; remove an old key only after `riposte keys rotate` has re-wrapped every data key under a newer one.',
    { detail: `account ${location.accountId}: data key wrapped with unknown key version ${kekVersion}` },
  );
}

/**
 * Encrypts many secrets at once: one block of data key ids, one multi-row
 * insert. Call it with the transaction that writes the rows, so a secret and
 * its data key land together. Returns the values to store, in input order.
 *
 * @example
 * const [token] = await sealSecrets(tx, keyring, clock, [
 *   { accountId: 7, table: 'app_installations', column: 'secure_settings', rowId: 42, plaintext: '{"api_token":"xoxb-..."}' },
 * ]);
 */
export async function sealSecrets(db: Queryable, keyring: Keyring, clock: Clock, secrets: readonly SecretToSeal[]): Promise<string[]> {
  if (secrets.length === 0) return [];
  secrets.forEach(assertLocation);
  const firstId = await reserveIds(db, 'data_keys', secrets.length);
  const createdAt = clock.now().toISOString();
  const rows: DataKeyRow[] = [];
  const sealed = secrets.map((secret, index) => {
    const id = firstId + index;
    const dataKey = crypto.randomBytes(KEY_BYTES);
    const { kekVersion, wrappedKey } = keyring.wrapDataKey(dataKey, dataKeyAad(secret.accountId, id));
    const box = encryptAesGcm(dataKey, Buffer.from(secret.plaintext, 'utf8'), secretAad(secret));
    dataKey.fill(0);
    rows.push({ account_id: secret.accountId, id, kek_version: kekVersion, wrapped_key: wrappedKey, created_at: createdAt });
    return `${SEALED_FORMAT}.${id}.${encodeBox(box)}`;
  });
  await insertDataKeys(db, rows);
  return sealed;
}

/**
 * Encrypts one secret under a fresh data key and returns the compact value to
 * store in its column: `v1.<dataKeyId>.<iv>.<ciphertext>.<tag>` (base64url).
 *
 * @example
 * const sealed = await sealSecret(tx, keyring, clock, { accountId: 7, table: 'certificates', column: 'private_key_pem', rowId: 3, plaintext: pem });
 */
export async function sealSecret(db: Queryable, keyring: Keyring, clock: Clock, secret: SecretToSeal): Promise<string> {
  const [sealed] = await sealSecrets(db, keyring, clock, [secret]);
  return sealed as string;
}

function parseSealed(sealed: string): { dataKeyId: number; box: AesGcmBox } | undefined {
  const [format, dataKeyId, ...box] = sealed.split('.');
  if (format !== SEALED_FORMAT || dataKeyId === undefined || !/^[1-9]\d{0,14}$/.test(dataKeyId)) return undefined;
  const decoded = decodeBox(box.join('.'));
  return decoded === undefined ? undefined : { dataKeyId: Number(dataKeyId), box: decoded };
}

function openOne(keyring: Keyring, secret: SealedSecret, box: AesGcmBox, row: DataKeyRow | undefined): string {
  if (row === undefined) throw integrityError(secret, 'its data key does not exist in this account');
  const kekVersion = Number(row.kek_version);
  const unwrapped = keyring.unwrapDataKey(kekVersion, row.wrapped_key, dataKeyAad(secret.accountId, Number(row.id)));
  if (!unwrapped.ok) {
    if (unwrapped.reason === 'unknown-key-version') throw missingKeyVersionError(secret, kekVersion, keyring);
    throw integrityError(secret, `data key ${row.id} failed to unwrap`);
  }
  const plaintext = decryptAesGcm(unwrapped.dataKey, box, secretAad(secret));
  unwrapped.dataKey.fill(0);
  if (plaintext === undefined) throw integrityError(secret, `ciphertext under data key ${row.id} failed authentication`);
  return plaintext.toString('utf8');
}

/**
 * Decrypts many stored secrets: one read of their data keys. The confidential
 * read: its result must never be logged or returned to a caller who did not
 * ask for that very secret. Throws `SecretIntegrityError` when a value was
 * altered, moved to another row, column, table or account, or its key
 * version is not in the keyring.
 */
export async function decryptSecretsConfidential(db: Queryable, keyring: Keyring, secrets: readonly SealedSecret[]): Promise<string[]> {
  const parsed = secrets.map((secret) => {
    assertLocation(secret);
    const result = parseSealed(secret.sealed);
    if (result === undefined) throw integrityError(secret, 'the value is not a sealed secret of a known format');
    return { secret, ...result };
  });
  const rows = await readDataKeys(
    db,
    parsed.map(({ secret, dataKeyId }) => ({ accountId: secret.accountId, id: dataKeyId })),
  );
  const byRef = new Map(rows.map((row) => [`${row.account_id}:${row.id}`, row]));
  return parsed.map(({ secret, dataKeyId, box }) => openOne(keyring, secret, box, byRef.get(`${secret.accountId}:${dataKeyId}`)));
}

/**
 * Decrypts one stored secret (see {@link decryptSecretsConfidential}).
 *
 * @example
 * const pem = await decryptSecretConfidential(db, keyring, { accountId: 7, table: 'certificates', column: 'private_key_pem', rowId: 3, sealed });
 */
export async function decryptSecretConfidential(db: Queryable, keyring: Keyring, secret: SealedSecret): Promise<string> {
  const [plaintext] = await decryptSecretsConfidential(db, keyring, [secret]);
  return plaintext as string;
}
