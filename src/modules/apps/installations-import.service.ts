import type { DatabaseHandle, Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError } from '../../errors.js';
import { recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import { findMarketplaceAppByName, type AppDefinition } from './app-definition.js';
import { sealInstallationSecrets, type PlainSecret } from './installation-secrets.js';
import { checkImportedSettings, type PlainSettings, type SecretToSet } from './installation-settings.js';
import {
  findExistingInstallationKeys,
  INSTALLATION_ID_SEQUENCE,
  installationKeyText,
  insertInstallations,
  upsertSecrets,
  type InstallationNaturalKey,
  type InstallationRow,
} from './installations.repo.js';
import {
  INSTALLATIONS_FILE,
  INSTALLATIONS_PER_TRANSACTION,
  privateKey,
  readLine,
  resolvePrivateApps,
  type InstallationLine,
} from './installations-import.validation.js';

export interface InstallationsImportSummary {
  created: number;
  unchanged: number;
  /** Secure values sealed by this import. */
  secureSettings: number;
  /** `app_installations.imported` events: one per account per transaction that created some. */
  auditEvents: number;
}

export const emptyInstallationsSummary = (): InstallationsImportSummary => ({
  created: 0,
  unchanged: 0,
  secureSettings: 0,
  auditEvents: 0,
});

export interface ImportInstallationsOptions {
  clock: Clock;
  keyring: Keyring;
  actor: Actor;
  /** Called after each committed batch with the lines handled so far. */
  onProgress?: (done: number) => void;
}

const changedUnderfoot = (line: number): AppError =>
  new AppError(
    'ImportFailed',
    `${INSTALLATIONS_FILE} or the apps it names changed while it was being imported (line ${line} no longer validates). Import it again; installations already written are kept and will count as unchanged.`,
  );

/**
 * Writes a validated `installations.jsonl` after its accounts exist: a few
 * hundred lines per transaction, each with its secure values sealed in bulk
 * and an audit event per account (counts only). An installation already
 * present (same account, app and `created_at`) is left as it is, so
 * importing the same file again changes nothing.
 *
 * @example
 * const summary = await importInstallations(handle, './export/installations.jsonl', { clock, keyring, actor: { type: 'cli' } });
 */
export async function importInstallations(
  handle: DatabaseHandle,
  file: string,
  options: ImportInstallationsOptions,
): Promise<InstallationsImportSummary> {
  const summary = emptyInstallationsSummary();
  const accountIds = new Map<string, number>();
  let batch: Array<{ lineNumber: number; line: InstallationLine }> = [];
  let done = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    await handle.db.transaction().execute((tx) => writeBatch(handle, tx, lines, accountIds, options, summary));
    done += lines.length;
    options.onProgress?.(done);
  };
  for await (const entry of readJsonLines(file)) {
    const read = entry.ok ? readLine(entry.value) : undefined;
    if (read === undefined || !read.ok) throw changedUnderfoot(entry.line);
    batch.push({ lineNumber: entry.line, line: read.line });
    if (batch.length >= INSTALLATIONS_PER_TRANSACTION) await flush();
  }
  await flush();
  return summary;
}

/** A line matched with its account and app, its settings checked again. */
interface PlacedLine {
  line: InstallationLine;
  accountId: number;
  app: AppDefinition;
  plain: PlainSettings;
  secrets: SecretToSet[];
  key: InstallationNaturalKey;
}

type Tally = { created: number; unchanged: number; secureSettings: number };

/** Resolves the batch's accounts and private apps (one read each, accounts cached across batches). */
async function placeLines(
  tx: Queryable,
  maxParameters: number,
  lines: ReadonlyArray<{ lineNumber: number; line: InstallationLine }>,
  accountIds: Map<string, number>,
): Promise<PlacedLine[]> {
  const unresolved = [...new Set(lines.map(({ line }) => line.account))].filter((subdomain) => !accountIds.has(subdomain));
  for (const [subdomain, id] of await findAccountIdsBySubdomains(tx, unresolved, maxParameters)) accountIds.set(subdomain, id);
  const privatePairs = lines.filter(({ line }) => !line.marketplace).map(({ line }) => ({ account: line.account, app: line.app }));
  const privateApps =
    privatePairs.length === 0 ? new Map<string, AppDefinition>() : await resolvePrivateApps(tx, maxParameters, accountIds, privatePairs);
  return lines.map(({ lineNumber, line }) => {
    const accountId = accountIds.get(line.account);
    const app = line.marketplace ? findMarketplaceAppByName(line.app) : privateApps.get(privateKey(line.account, line.app));
    const checked = app === undefined ? undefined : checkImportedSettings(app, line.settings, line.secureSettings);
    if (accountId === undefined || app === undefined || checked === undefined || !checked.ok) throw changedUnderfoot(lineNumber);
    const key = { account_id: accountId, app_id: app.id, created_at: line.createdAt };
    return { line, accountId, app, plain: checked.plain, secrets: checked.secrets, key };
  });
}

/** Inserts the new installations with their secure values sealed in bulk; `set_at` is the installation's own time. */
async function insertFresh(
  tx: Queryable,
  maxParameters: number,
  fresh: readonly PlacedLine[],
  options: ImportInstallationsOptions,
  tallyOf: (accountId: number) => Tally,
): Promise<{ rows: number; secrets: number }> {
  const firstId = await reserveIds(tx, INSTALLATION_ID_SEQUENCE, fresh.length);
  const now = options.clock.now().toISOString();
  const rows: InstallationRow[] = [];
  const secrets: PlainSecret[] = [];
  fresh.forEach(({ line, accountId, app, plain, secrets: lineSecrets }, position) => {
    const id = firstId + position;
    rows.push({
      account_id: accountId,
      id,
      app_id: app.id,
      product: app.product,
      settings: JSON.stringify(plain),
      enabled: line.enabled ? 1 : 0,
      created_by: null,
      created_at: line.createdAt,
      updated_at: now,
    });
    for (const secret of lineSecrets)
      secrets.push({ accountId, installationId: id, field: secret.field, plaintext: secret.plaintext, setAt: line.createdAt });
    const tally = tallyOf(accountId);
    tally.created += 1;
    tally.secureSettings += lineSecrets.length;
  });
  await insertInstallations(tx, rows, maxParameters);
  await upsertSecrets(tx, await sealInstallationSecrets(tx, options.keyring, options.clock, secrets), maxParameters);
  return { rows: rows.length, secrets: secrets.length };
}

async function writeBatch(
  handle: DatabaseHandle,
  tx: Queryable,
  lines: ReadonlyArray<{ lineNumber: number; line: InstallationLine }>,
  accountIds: Map<string, number>,
  options: ImportInstallationsOptions,
  summary: InstallationsImportSummary,
): Promise<void> {
  const { maxParameters } = handle.capabilities;
  const placed = await placeLines(tx, maxParameters, lines, accountIds);
  const existing = await findExistingInstallationKeys(
    tx,
    placed.map((entry) => entry.key),
    maxParameters,
  );
  const tallies = new Map<number, Tally>();
  const tallyOf = (accountId: number): Tally => {
    const tally = tallies.get(accountId) ?? { created: 0, unchanged: 0, secureSettings: 0 };
    tallies.set(accountId, tally);
    return tally;
  };
  const fresh: PlacedLine[] = [];
  for (const entry of placed) {
    if (!existing.has(installationKeyText(entry.key))) fresh.push(entry);
    else tallyOf(entry.accountId).unchanged += 1;
  }
  summary.unchanged += placed.length - fresh.length;
  if (fresh.length === 0) return;
  const written = await insertFresh(tx, maxParameters, fresh, options, tallyOf);
  const events: AuditEventInput[] = [...tallies]
    .filter(([, tally]) => tally.created > 0)
    .map(([accountId, tally]) => ({
      accountId,
      actor: options.actor,
      action: 'app_installations.imported',
      target: { type: 'account', id: accountId },
      data: { source: 'import', created: tally.created, unchanged: tally.unchanged, secure_settings_sealed: tally.secureSettings },
    }));
  await recordAudit(tx, options, ...events);
  summary.created += written.rows;
  summary.secureSettings += written.secrets;
  summary.auditEvents += events.length;
}
