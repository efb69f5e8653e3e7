import type { DatabaseHandle, Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError } from '../../errors.js';
import { recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { PRIVATE_APP_FIRST_ID } from './app-definition.js';
import { APPS_FILE, APPS_PER_TRANSACTION, readAppLine, sameApp, type AppLine } from './apps-import.validation.js';
import { APP_ID_SEQUENCE, findPrivateAppsByNames, insertPrivateApps, type PrivateAppRow } from './apps.repo.js';
import { privateAppDefinition } from './apps.service.js';

export interface AppsImportSummary {
  created: number;
  unchanged: number;
  /** `apps.imported` events: one per account per transaction that created some. */
  auditEvents: number;
}

export const emptyAppsSummary = (): AppsImportSummary => ({ created: 0, unchanged: 0, auditEvents: 0 });

export interface ImportAppsOptions {
  clock: Clock;
  keyring: Keyring;
  actor: Actor;
  /** Called after each committed batch with the lines handled so far. */
  onProgress?: (done: number) => void;
}

const changedUnderfoot = (line: number): AppError =>
  new AppError(
    'ImportFailed',
    `${APPS_FILE} or the apps of its accounts changed while it was being imported (line ${line} no longer validates). Import it again; apps already written are kept and will count as unchanged.`,
  );

/**
 * Writes a validated `apps.jsonl` after its accounts exist and before the
 * installations that name its apps: a few hundred lines per transaction,
 * each app with the `created_at` of its line (no user created it), and an
 * `apps.imported` audit event per account naming the apps it gained. An app
 * the account has already (same name, product and fields) is left as it is,
 * so importing the same file again changes nothing.
 *
 * @example
 * const summary = await importApps(handle, './export/apps.jsonl', { clock, keyring, actor: { type: 'cli' } });
 */
export async function importApps(handle: DatabaseHandle, file: string, options: ImportAppsOptions): Promise<AppsImportSummary> {
  const summary = emptyAppsSummary();
  const accountIds = new Map<string, number>();
  let batch: Array<{ lineNumber: number; line: AppLine }> = [];
  let done = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    await handle.db.transaction().execute((tx) => writeBatch(tx, handle.capabilities.maxParameters, lines, accountIds, options, summary));
    done += lines.length;
    options.onProgress?.(done);
  };
  for await (const entry of readJsonLines(file)) {
    const read = entry.ok ? readAppLine(entry.value) : undefined;
    if (read === undefined || !read.ok) throw changedUnderfoot(entry.line);
    batch.push({ lineNumber: entry.line, line: read.line });
    if (batch.length >= APPS_PER_TRANSACTION) await flush();
  }
  await flush();
  return summary;
}

async function writeBatch(
  tx: Queryable,
  maxParameters: number,
  lines: ReadonlyArray<{ lineNumber: number; line: AppLine }>,
  accountIds: Map<string, number>,
  options: ImportAppsOptions,
  summary: AppsImportSummary,
): Promise<void> {
  const unresolved = [...new Set(lines.map(({ line }) => line.account))].filter((subdomain) => !accountIds.has(subdomain));
  for (const [subdomain, id] of await findAccountIdsBySubdomains(tx, unresolved, maxParameters)) accountIds.set(subdomain, id);
  const placed = lines.map(({ lineNumber, line }) => {
    const accountId = accountIds.get(line.account);
    if (accountId === undefined) throw changedUnderfoot(lineNumber);
    return { lineNumber, line, accountId };
  });
  const stored = await findPrivateAppsByNames(
    tx,
    [...new Set(placed.map((entry) => entry.accountId))],
    [...new Set(placed.map((entry) => entry.line.name))],
    maxParameters,
  );
  const existing = new Map(stored.map((row) => [`${Number(row.account_id)}\u0000${row.name}`, privateAppDefinition(row)]));
  const tallies = new Map<number, { created: string[]; unchanged: number }>();
  const tallyOf = (accountId: number) => {
    const tally = tallies.get(accountId) ?? { created: [], unchanged: 0 };
    tallies.set(accountId, tally);
    return tally;
  };
  const fresh: typeof placed = [];
  for (const entry of placed) {
    const app = existing.get(`${entry.accountId}\u0000${entry.line.name}`);
    if (app === undefined) fresh.push(entry);
    else if (sameApp(entry.line, app)) tallyOf(entry.accountId).unchanged += 1;
    else throw changedUnderfoot(entry.lineNumber);
  }
  summary.unchanged += placed.length - fresh.length;
  if (fresh.length === 0) return;
  // Above every marketplace id, so one app_id names one app (as `createPrivateApp` numbers them).
  const firstId = PRIVATE_APP_FIRST_ID - 1 + (await reserveIds(tx, APP_ID_SEQUENCE, fresh.length));
  const now = options.clock.now().toISOString();
  const rows: PrivateAppRow[] = fresh.map(({ line, accountId }, position) => {
    tallyOf(accountId).created.push(line.name);
    return {
      account_id: accountId,
      id: firstId + position,
      name: line.name,
      product: line.product,
      fields: JSON.stringify(line.fields),
      created_by: null,
      created_at: line.createdAt,
      updated_at: now,
    };
  });
  await insertPrivateApps(tx, rows, maxParameters);
  const events: AuditEventInput[] = [...tallies]
    .filter(([, tally]) => tally.created.length > 0)
    .map(([accountId, tally]) => ({
      accountId,
      actor: options.actor,
      action: 'apps.imported',
      target: { type: 'account', id: accountId },
      data: { source: 'import', created: tally.created.length, unchanged: tally.unchanged, names: tally.created },
    }));
  await recordAudit(tx, options, ...events);
  summary.created += rows.length;
  summary.auditEvents += events.length;
}
