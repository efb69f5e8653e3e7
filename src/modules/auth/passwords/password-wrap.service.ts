import type { Db } from '../../../db/database.js';
import { invalid } from '../../../errors.js';
import { recordAudit, type Actor, type AuditEventInput } from '../../../platform/audit/audit.service.js';
import type { Clock } from '../../../platform/clock.js';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import { storedHashKind, wrapLegacyHash } from './password-hashing.js';
import { keepExposedHashesBeforeReplacing } from '../exposed-passwords/exposed-passwords.service.js';
import {
  countLegacyCredentials,
  readLegacyCredentials,
  replacePasswordHashes,
  type CredentialKey,
  type HashReplacement,
} from './passwords.repo.js';
import type { LegacyScheme } from './wrapped-hash-format.js';

export const DEFAULT_WRAP_BATCH_SIZE = 500;
/** Five parameters a row: 5,000 rows keep one statement under SQLite's 32,766 bound parameters. */
export const MAX_WRAP_BATCH_SIZE = 5_000;
/**
 * argon2 hashes at once. It runs on libuv's thread pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise): more would only queue, each holding 19 MiB.
 */
export const DEFAULT_WRAP_CONCURRENCY = 4;

export interface WrapProgress {
  /** Legacy credentials handled so far by this run (wrapped or skipped). */
  done: number;
  /** Legacy credentials when this run started. */
  total: number;
}

export interface WrapOptions {
  batchSize?: number;
  concurrency?: number;
  /** Called before the first batch and after each committed batch. */
  onProgress?: (progress: WrapProgress) => void;
  /** Who asked, for the audit events. Default: the system. */
  actor?: Actor;
}

export interface WrapResult {
  /** Hashes this run wrapped. */
  wrapped: number;
  /** Legacy hashes left as they were: changed meanwhile (a sign-in upgraded it) or not in an accepted format. */
  skipped: number;
  /** Accounts with at least one hash wrapped. */
  accounts: number;
  /** Hashes wrapped, per legacy scheme. */
  schemes: Partial<Record<LegacyScheme, number>>;
  batches: number;
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function checkWholeNumber(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw invalid(`The ${name} must be a whole number from 1 to ${max}; got ${value}.`);
}

/** One `password.wrapped` event per account of the batch: how many, in which schemes; no user is named. */
function auditEvents(written: readonly CredentialKey[], schemeOf: Map<string, LegacyScheme>, actor: Actor): AuditEventInput[] {
  const byAccount = new Map<number, Partial<Record<LegacyScheme, number>>>();
  for (const key of written) {
    const scheme = schemeOf.get(`${key.accountId}:${key.userId}`);
    if (scheme === undefined) continue;
    const counts = byAccount.get(key.accountId) ?? {};
    counts[scheme] = (counts[scheme] ?? 0) + 1;
    byAccount.set(key.accountId, counts);
  }
  return [...byAccount].map(([accountId, schemes]) => ({
    accountId,
    actor,
    action: 'password.wrapped',
    data: { count: Object.values(schemes).reduce((sum, n) => sum + n, 0), schemes },
  }));
}

/**
 * Hardens every legacy password hash at rest without knowing the passwords:
 * each is replaced by argon2id over its legacy digest (`$wrapped$...`, see
 * `wrapped-hash-format.ts`); its user signs in as before and the hash becomes
 * plain argon2id then. In batches: a read, the batch hashed concurrently
 * (bounded), then one statement and the audit events in one transaction. A
 * crash loses at most the batch in flight; running again carries on, and a
 * finished run finds nothing left to do. Pass the database, not a transaction.
 *
 * @example
 * const { wrapped } = await wrapLegacyPasswords({ db, clock }, { batchSize: 500, onProgress: ({ done, total }) => bar.update(done, total) });
 */
export async function wrapLegacyPasswords(
  deps: { db: Db; clock: Clock; keyring: Keyring },
  options: WrapOptions = {},
): Promise<WrapResult> {
  const batchSize = options.batchSize ?? DEFAULT_WRAP_BATCH_SIZE;
  const concurrency = options.concurrency ?? DEFAULT_WRAP_CONCURRENCY;
  checkWholeNumber('wrap batch size', batchSize, MAX_WRAP_BATCH_SIZE);
  checkWholeNumber('wrap concurrency', concurrency, 64);
  const actor = options.actor ?? { type: 'system' };
  const result: WrapResult = { wrapped: 0, skipped: 0, accounts: 0, schemes: {}, batches: 0 };
  const accounts = new Set<number>();
  let total = await countLegacyCredentials(deps.db);
  let done = 0;
  let after: CredentialKey | undefined;
  options.onProgress?.({ done, total });
  for (;;) {
    const rows = await readLegacyCredentials(deps.db, { after, limit: batchSize });
    const last = rows.at(-1);
    if (last === undefined) break;
    after = { accountId: Number(last.account_id), userId: Number(last.user_id) };
    const wrappedHashes = await mapBounded(rows, concurrency, (row) => wrapLegacyHash(row.password_hash));
    const replacements: HashReplacement[] = [];
    const schemeOf = new Map<string, LegacyScheme>();
    rows.forEach((row, index) => {
      const passwordHash = wrappedHashes[index];
      const kind = storedHashKind(row.password_hash);
      if (passwordHash === undefined || kind?.kind !== 'legacy') return;
      const key = { accountId: Number(row.account_id), userId: Number(row.user_id) };
      replacements.push({ ...key, expectedHash: row.password_hash, passwordHash });
      schemeOf.set(`${key.accountId}:${key.userId}`, kind.scheme);
    });
    const written = await deps.db.transaction().execute(async (tx) => {
      // Flagged credentials keep their exposed hash, sealed, before it is wrapped (exposed-passwords.service.ts).
      await keepExposedHashesBeforeReplacing(tx, deps, replacements);
      // When the weak hash stopped being stored: an exposure from before still got it (hash-strength.ts).
      const replaced = await replacePasswordHashes(tx, replacements, deps.clock.now().toISOString());
      const events = auditEvents(replaced, schemeOf, actor);
      if (events.length > 0) await recordAudit(tx, deps, ...events);
      return replaced;
    });
    for (const key of written) {
      const scheme = schemeOf.get(`${key.accountId}:${key.userId}`);
      if (scheme !== undefined) result.schemes[scheme] = (result.schemes[scheme] ?? 0) + 1;
      accounts.add(key.accountId);
    }
    result.wrapped += written.length;
    result.skipped += rows.length - written.length;
    result.batches += 1;
    done += rows.length;
    // Imports running meanwhile may add legacy hashes; they are wrapped too.
    total = Math.max(total, done);
    options.onProgress?.({ done, total });
    if (rows.length < batchSize) break;
  }
  result.accounts = accounts.size;
  return result;
}
