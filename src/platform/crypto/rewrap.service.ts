import type { Db } from '../../db/database.js';
import { AppError, invalid } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import {
  countDataKeysByVersion,
  readDataKeysNotOnVersion,
  upsertRewrappedDataKeys,
  type DataKeyRef,
  type DataKeyRow,
} from './crypto.repo.js';
import { dataKeyAad } from './envelope.service.js';
import type { Keyring } from './keyring.js';

export const DEFAULT_REWRAP_BATCH_SIZE = 1_000;
/** Five parameters a row: 5,000 rows keep one upsert under SQLite's 32,766 bound parameters. */
export const MAX_REWRAP_BATCH_SIZE = 5_000;

export interface RewrapProgress {
  /** Data keys re-wrapped so far by this run. */
  done: number;
  /** Data keys that were not on the newest version when this run started. */
  total: number;
}

export interface RewrapOptions {
  batchSize?: number;
  /** Called once before the first batch and after each committed batch. */
  onProgress?: (progress: RewrapProgress) => void;
  /** Who asked, for the audit event. Default: the system. */
  actor?: Actor;
}

export interface RewrapResult {
  /** Versions data keys were re-wrapped from, ascending (empty when all were current). */
  fromVersions: number[];
  toVersion: number;
  /** Data keys re-wrapped by this run. */
  count: number;
}

function missingVersionsError(missing: number[], counts: Map<number, number>, keyring: Keyring): AppError {
  const affected = missing.reduce((sum, version) => sum + (counts.get(version) ?? 0), 0);
  return new AppError(
    'KeyVersionMissing',
    `${affected} data keys are wrapped with key version ${missing.join(', ')}, which the keyring does not hold (it holds ${keyring.versions.join(', ')}). ` +
      'Put those keys back in RIPOSTE_KEYS or keys.json and run again; nothing was re-wrapped.',
  );
}

function rewrapRow(keyring: Keyring, row: DataKeyRow): DataKeyRow {
  const accountId = Number(row.account_id);
  const id = Number(row.id);
  const aad = dataKeyAad(row);
  const unwrapped = keyring.unwrapDataKey(Number(row.kek_version), row.wrapped_key, aad);
  if (!unwrapped.ok) {
    throw new AppError(
      'SecretIntegrityError',
      `Data key ${id} of account ${accountId} (key version ${row.kek_version}) cannot be unwrapped: ` +
        (unwrapped.reason === 'unknown-key-version'
          ? 'its key version is not in the keyring. Put that key back and run again.'
          : 'the data_keys row was altered or copied from another record. The secret sealed with it cannot be read either; ' +
            'investigate, then restore or delete that row and run again.') +
        ' Batches already committed stay re-wrapped.',
    );
  }
  const { kekVersion, wrappedKey } = keyring.wrapDataKey(unwrapped.dataKey, aad);
  unwrapped.dataKey.fill(0);
  return { ...row, kek_version: kekVersion, wrapped_key: wrappedKey };
}

/**
 * Re-wraps every data key not on the keyring's newest version, in batches:
 * each batch is one read and one multi-row upsert in a transaction, so a
 * crash loses at most the batch in flight and running again simply carries
 * on. Ends with one `keys.rewrapped` audit event on the platform chain.
 * Secrets themselves are untouched: only the wrapping of their data keys
 * changes. Pass the database, not a transaction.
 *
 * @example
 * keyring.addKeyVersion();
 * const { count } = await rewrapDataKeys(db, keyring, clock, { batchSize: 1000, onProgress: ({ done, total }) => bar.update(done) });
 */
export async function rewrapDataKeys(db: Db, keyring: Keyring, clock: Clock, options: RewrapOptions = {}): Promise<RewrapResult> {
  const batchSize = options.batchSize ?? DEFAULT_REWRAP_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_REWRAP_BATCH_SIZE) {
    throw invalid(`The re-wrap batch size must be a whole number from 1 to ${MAX_REWRAP_BATCH_SIZE}; got ${batchSize}.`);
  }
  const toVersion = keyring.currentVersion;
  const counts = await countDataKeysByVersion(db);
  const fromVersions = [...counts.keys()].filter((version) => version !== toVersion).sort((a, b) => a - b);
  const missing = fromVersions.filter((version) => !keyring.has(version));
  if (missing.length > 0) throw missingVersionsError(missing, counts, keyring);

  let total = fromVersions.reduce((sum, version) => sum + (counts.get(version) ?? 0), 0);
  let done = 0;
  let after: DataKeyRef | undefined;
  options.onProgress?.({ done, total });
  for (;;) {
    const cursor = after;
    const batch = await db.transaction().execute(async (tx) => {
      const rows = await readDataKeysNotOnVersion(tx, { version: toVersion, after: cursor, limit: batchSize });
      await upsertRewrappedDataKeys(
        tx,
        rows.map((row) => rewrapRow(keyring, row)),
      );
      return rows;
    });
    const last = batch.at(-1);
    if (last === undefined) break;
    after = { accountId: Number(last.account_id), id: Number(last.id) };
    done += batch.length;
    // Another process still on an older keyring may add old-version keys meanwhile; they are re-wrapped too.
    total = Math.max(total, done);
    options.onProgress?.({ done, total });
    if (batch.length < batchSize) break;
  }

  const result: RewrapResult = { fromVersions, toVersion, count: done };
  await db.transaction().execute((tx) =>
    recordAudit(
      tx,
      { clock, keyring },
      {
        accountId: PLATFORM_ACCOUNT_ID,
        actor: options.actor ?? { type: 'system' },
        action: 'keys.rewrapped',
        data: { ...result },
      },
    ),
  );
  return result;
}
