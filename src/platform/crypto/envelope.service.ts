import crypto from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../clock.js';
import { decodeBox, decryptAesGcm, encodeBox, encryptAesGcm, KEY_BYTES, type AesGcmBox } from './aes-gcm.js';
import { insertDataKeys, readDataKeys, readLiveDataKeyIds, retireDataKeys, type DataKeyRow } from './crypto.repo.js';
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

/**
 * The first part of every sealed value. `v2` binds the ciphertext to its data
 * key id (its version) and the data key to its one place; `v1` values, sealed
 * before that, still open until their place is sealed again.
 */
const SEALED_FORMAT = 'v2';
const LEGACY_FORMAT = 'v1';
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** The `data_keys.sealed_for` of a location: the one place its data key seals. */
const sealedFor = (location: SecretLocation): string => `${location.table}.${location.column}.${location.rowId}`;

/**
 * Additional data of a wrapped data key: it unwraps only for its own account
 * and id, and (keys sealed since migration 0016) for its own place, so a key
 * row relabelled to another place no longer unwraps.
 */
export const dataKeyAad = (row: Pick<DataKeyRow, 'account_id' | 'id' | 'sealed_for'>): Buffer =>
  Buffer.from(
    `riposte:data_keys:${Number(row.account_id)}:${Number(row.id)}${row.sealed_for === null ? '' : `:${row.sealed_for}`}`,
    'utf8',
  );

/** Additional data of a secret: its place and, from `v2`, its version (the data key id). */
const secretAad = (location: SecretLocation, dataKeyId: number | undefined): Buffer =>
  Buffer.from(
    `${location.accountId}:${location.table}:${location.column}:${location.rowId}${dataKeyId === undefined ? '' : `:${dataKeyId}`}`,
    'utf8',
  );

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
      `A secret location needs a non-negative account id, lower-case table and column names and a row id; got ${JSON.stringify({ accountId: location.accountId, table: location.table, column: location.column, rowId: location.rowId })}.`,
    );
  }
}

function integrityError(location: SecretLocation, detail: string): AppError {
  return new AppError(
    'SecretIntegrityError',
    `The stored secret for ${location.table}.${location.column} of row ${location.rowId} failed authentication: it was altered or copied from another record.`,
    { detail: `account ${location.accountId}: ${detail}` },
  );
}

function missingKeyVersionError(location: SecretLocation, kekVersion: number, keyring: Keyring): AppError {
  return new AppError(
    'SecretIntegrityError',
    `The stored secret for ${location.table}.${location.column} of row ${location.rowId} cannot be decrypted: its data key is wrapped with ` +
      `key version ${kekVersion}, which the keyring does not hold (it holds ${keyring.versions.join(', ')}). Put that key back in RIPOSTE_KEYS ` +
      'or keys.json; remove an old key only after `riposte keys rotate` has re-wrapped every data key under a newer one.',
    { detail: `account ${location.accountId}: data key wrapped with unknown key version ${kekVersion}` },
  );
}

function supersededError(location: SecretLocation): AppError {
  return new AppError(
    'SecretIntegrityError',
    `The stored secret for ${location.table}.${location.column} of row ${location.rowId} is an older value: the secret was sealed again ` +
      'since, and an earlier ciphertext was put back into the row. Set the secret again through Riposte.',
    { detail: `account ${location.accountId}: superseded ciphertext restored` },
  );
}

/**
 * Encrypts many secrets at once: one block of data key ids, one multi-row
 * insert. Call it with the transaction that writes the rows, so a secret and
 * its data key land together. Returns the values to store, in input order.
 * Sealing a place again retires its previous data key, so the previous
 * ciphertext, if put back, no longer opens.
 *
 * @example
 * const [token] = await sealSecrets(tx, keyring, clock, [
 *   { accountId: 7, table: 'app_installations', column: 'secure_settings', rowId: 42, plaintext: '{"api_token":"xoxb-..."}' },
 * ]);
 */
export async function sealSecrets(db: Queryable, keyring: Keyring, clock: Clock, secrets: readonly SecretToSeal[]): Promise<string[]> {
  if (secrets.length === 0) return [];
  secrets.forEach(assertLocation);
  const places = secrets.map((secret) => ({ accountId: secret.accountId, sealedFor: sealedFor(secret) }));
  if (new Set(places.map((place) => `${place.accountId}:${place.sealedFor}`)).size !== places.length) {
    throw new AppError('InvalidSecretLocation', 'One call sealed two secrets for the same place; seal each place once.');
  }
  await retireDataKeys(db, places);
  const firstId = await reserveIds(db, 'data_keys', secrets.length);
  const createdAt = clock.now().toISOString();
  const rows: DataKeyRow[] = [];
  // Every data key from one draw of the CSPRNG (one call per key costs more than the encryption); each is zeroed after use.
  const dataKeys = crypto.randomBytes(KEY_BYTES * secrets.length);
  const sealed = secrets.map((secret, index) => {
    const id = firstId + index;
    const dataKey = dataKeys.subarray(KEY_BYTES * index, KEY_BYTES * (index + 1));
    const place = sealedFor(secret);
    const { kekVersion, wrappedKey } = keyring.wrapDataKey(dataKey, dataKeyAad({ account_id: secret.accountId, id, sealed_for: place }));
    const box = encryptAesGcm(dataKey, Buffer.from(secret.plaintext, 'utf8'), secretAad(secret, id));
    dataKey.fill(0);
    rows.push({
      account_id: secret.accountId,
      id,
      kek_version: kekVersion,
      wrapped_key: wrappedKey,
      created_at: createdAt,
      sealed_for: place,
    });
    return `${SEALED_FORMAT}.${id}.${encodeBox(box)}`;
  });
  await insertDataKeys(db, rows);
  return sealed;
}

/**
 * Encrypts one secret under a fresh data key and returns the compact value to
 * store in its column: `v2.<dataKeyId>.<iv>.<ciphertext>.<tag>` (base64url).
 *
 * @example
 * const sealed = await sealSecret(tx, keyring, clock, { accountId: 7, table: 'certificates', column: 'private_key_pem', rowId: 3, plaintext: pem });
 */
export async function sealSecret(db: Queryable, keyring: Keyring, clock: Clock, secret: SecretToSeal): Promise<string> {
  const [sealed] = await sealSecrets(db, keyring, clock, [secret]);
  return sealed as string;
}

interface ParsedSealed {
  legacy: boolean;
  dataKeyId: number;
  box: AesGcmBox;
}

function parseSealed(sealed: string): ParsedSealed | undefined {
  const [format, dataKeyId, ...box] = sealed.split('.');
  if ((format !== SEALED_FORMAT && format !== LEGACY_FORMAT) || dataKeyId === undefined || !/^[1-9]\d{0,14}$/.test(dataKeyId))
    return undefined;
  const decoded = decodeBox(box.join('.'));
  return decoded === undefined ? undefined : { legacy: format === LEGACY_FORMAT, dataKeyId: Number(dataKeyId), box: decoded };
}

/** The data key id a sealed value names (its version), or `undefined` when it is not a sealed value. */
export const sealedDataKeyId = (sealed: string): number | undefined => parseSealed(sealed)?.dataKeyId;

function openOne(
  keyring: Keyring,
  secret: SealedSecret,
  parsed: ParsedSealed,
  row: DataKeyRow | undefined,
  liveKeyId: number | undefined,
): string {
  const place = sealedFor(secret);
  // A place sealed since keys were bound to places opens only with its live key.
  if (liveKeyId !== undefined && liveKeyId !== parsed.dataKeyId) throw supersededError(secret);
  if (row === undefined) throw integrityError(secret, 'its data key does not exist in this account');
  if (parsed.legacy ? row.sealed_for !== null : row.sealed_for !== place)
    throw integrityError(secret, `data key ${row.id} seals another place`);
  const kekVersion = Number(row.kek_version);
  const unwrapped = keyring.unwrapDataKey(kekVersion, row.wrapped_key, dataKeyAad(row));
  if (!unwrapped.ok) {
    if (unwrapped.reason === 'unknown-key-version') throw missingKeyVersionError(secret, kekVersion, keyring);
    throw integrityError(secret, `data key ${row.id} failed to unwrap`);
  }
  const plaintext = decryptAesGcm(unwrapped.dataKey, parsed.box, secretAad(secret, parsed.legacy ? undefined : parsed.dataKeyId));
  unwrapped.dataKey.fill(0);
  if (plaintext === undefined) throw integrityError(secret, `ciphertext under data key ${row.id} failed authentication`);
  return plaintext.toString('utf8');
}

/**
 * Decrypts many stored secrets: one read of their data keys. The confidential
 * read: its result must never be logged or returned to a caller who did not
 * ask for that very secret. Throws `SecretIntegrityError` when a value was
 * altered, moved to another row, column, table or account, replaced by an
 * older value of its own place, or its key version is not in the keyring.
 */
export async function decryptSecretsConfidential(db: Queryable, keyring: Keyring, secrets: readonly SealedSecret[]): Promise<string[]> {
  const parsed = secrets.map((secret) => {
    assertLocation(secret);
    const result = parseSealed(secret.sealed);
    if (result === undefined) throw integrityError(secret, 'the value is not a sealed secret of a known format');
    return { secret, parsed: result };
  });
  const rows = await readDataKeys(
    db,
    parsed.map(({ secret, parsed: { dataKeyId } }) => ({ accountId: secret.accountId, id: dataKeyId })),
  );
  const byRef = new Map(rows.map((row) => [`${row.account_id}:${row.id}`, row]));
  const rowOf = (secret: SealedSecret, dataKeyId: number) => byRef.get(`${secret.accountId}:${dataKeyId}`);
  // Legacy values, and values whose key is gone, are checked against the place's live key (if it has one).
  const unbound = parsed.filter(({ secret, parsed: { legacy, dataKeyId } }) => legacy || rowOf(secret, dataKeyId) === undefined);
  const live = await readLiveDataKeyIds(
    db,
    unbound.map(({ secret }) => ({ accountId: secret.accountId, sealedFor: sealedFor(secret) })),
  );
  return parsed.map(({ secret, parsed: sealed }) =>
    openOne(keyring, secret, sealed, rowOf(secret, sealed.dataKeyId), live.get(`${secret.accountId}:${sealedFor(secret)}`)),
  );
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
