import type { DatabaseHandle, Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError } from '../../errors.js';
import { recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { normaliseTimestamp } from '../population/import.schema.js';
import { readJsonLines } from '../population/json-lines.js';
import { findMarketplaceAppByName, MARKETPLACE_APPS, MAX_APP_NAME, type AppDefinition } from './app-definition.js';
import { findPrivateAppsByNames } from './apps.repo.js';
import { privateAppDefinition } from './apps.service.js';
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

/**
 * `installations.jsonl` (DESIGN.md, "Import lines"):
 * `{"account":"acme","app":"Slack","marketplace":true,"created_at":"2016-02-01T00:00:00Z","settings":{...},"secure_settings":{...}}`,
 * and optionally `"enabled": false`. A marketplace app is named as the
 * catalog names it; a private app (`"marketplace": false`) must exist in the
 * account already. Secure settings are sealed with `set_at` = `created_at`:
 * imported history says they have not been rotated since.
 */
export const INSTALLATIONS_FILE = 'installations.jsonl';

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const LINE_FIELDS = new Set(['account', 'app', 'marketplace', 'created_at', 'settings', 'secure_settings', 'enabled']);
/** Lines written per transaction: their secrets are the only plaintext held in memory. */
export const INSTALLATIONS_PER_TRANSACTION = 500;

export interface LineProblem {
  line: number;
  field?: string;
  message: string;
}

/** One line, read but not yet matched with its app. */
interface InstallationLine {
  account: string;
  app: string;
  marketplace: boolean;
  createdAt: string;
  enabled: boolean;
  settings: unknown;
  secureSettings: unknown;
}

const describe = (value: unknown): string => (value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value).slice(0, 60));

/** The line's own fields; its settings are checked once its app is known. Never quotes a settings value. */
function readLine(value: unknown): { ok: true; line: InstallationLine } | { ok: false; problems: Array<Omit<LineProblem, 'line'>> } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problems: [{ message: 'must be a JSON object' }] };
  const line = value as Record<string, unknown>;
  const problems: Array<Omit<LineProblem, 'line'>> = [];
  for (const field of Object.keys(line))
    if (!LINE_FIELDS.has(field))
      problems.push({ field: field.slice(0, 64), message: `is not a known field; expected only ${[...LINE_FIELDS].join(', ')}` });
  const { account, app, marketplace, created_at: createdAt, enabled = true } = line;
  if (typeof account !== 'string' || !SUBDOMAIN.test(account))
    problems.push({ field: 'account', message: `must be the subdomain of an account; got ${describe(account)}` });
  if (typeof app !== 'string' || app.trim() === '' || app.length > MAX_APP_NAME)
    problems.push({ field: 'app', message: `must be the name of an app (at most ${MAX_APP_NAME} characters)` });
  if (typeof marketplace !== 'boolean')
    problems.push({ field: 'marketplace', message: 'must be true (a marketplace app) or false (a private app)' });
  const created = typeof createdAt === 'string' ? normaliseTimestamp(createdAt) : undefined;
  if (created === undefined)
    problems.push({
      field: 'created_at',
      message: `must be an ISO-8601 UTC timestamp such as 2016-02-01T00:00:00Z; got ${describe(createdAt)}`,
    });
  if (typeof enabled !== 'boolean') problems.push({ field: 'enabled', message: 'must be true or false' });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    line: {
      account: account as string,
      app: app as string,
      marketplace: marketplace as boolean,
      createdAt: created as string,
      enabled: enabled as boolean,
      settings: line.settings,
      secureSettings: line.secure_settings,
    },
  };
}

const privateKey = (account: string, app: string): string => `${account}\u0000${app}`;

function unknownMarketplaceApp(name: string): Omit<LineProblem, 'line'> {
  return {
    field: 'app',
    message: `${describe(name)} is not a marketplace app; the marketplace has ${MARKETPLACE_APPS.map((app) => app.name).join(', ')} (set "marketplace": false for a private app)`,
  };
}

/** The private apps named by lines, by account subdomain and app name: one lookup per batch. */
async function resolvePrivateApps(
  db: Queryable,
  maxParameters: number,
  accountIds: ReadonlyMap<string, number>,
  pairs: ReadonlyArray<{ account: string; app: string }>,
): Promise<Map<string, AppDefinition>> {
  const subdomainOf = new Map([...accountIds].map(([subdomain, id]) => [id, subdomain]));
  const ids = [...new Set(pairs.map((pair) => accountIds.get(pair.account)).filter((id) => id !== undefined))];
  const rows = await findPrivateAppsByNames(db, ids, [...new Set(pairs.map((pair) => pair.app))], maxParameters);
  return new Map(rows.map((row) => [privateKey(subdomainOf.get(Number(row.account_id)) ?? '', row.name), privateAppDefinition(row)]));
}

function settingsProblems(app: AppDefinition, line: InstallationLine): Array<Omit<LineProblem, 'line'>> {
  const checked = checkImportedSettings(app, line.settings, line.secureSettings);
  return checked.ok ? [] : checked.problems;
}

/**
 * Checks every line of `installations.jsonl`: its fields, that its account is
 * in `accounts.jsonl` or the database, that its app exists (the marketplace
 * catalog, or the account's private apps), that every setting is a field of
 * that app given in the right object (`settings` or `secure_settings`) with
 * a value of its type, and that no two lines name the same installation
 * (account, app, `created_at`). Reports each problem with its line; returns
 * the number of lines. Nothing is written.
 */
export async function validateInstallationsFile(
  db: Queryable,
  maxParameters: number,
  file: string,
  accountsInFile: ReadonlyMap<string, unknown>,
  report: (problem: LineProblem) => void,
  progress?: (chars: number) => void,
): Promise<number> {
  const seen = new Map<string, number>();
  const outsideFile = new Map<string, number[]>();
  const privateLines = new Map<string, { account: string; app: string; lines: number[] }>();
  let count = 0;
  for await (const entry of readJsonLines(file)) {
    progress?.(entry.chars);
    if (!entry.ok) {
      report({ line: entry.line, message: entry.message });
      continue;
    }
    const read = readLine(entry.value);
    if (!read.ok) {
      for (const problem of read.problems) report({ line: entry.line, ...problem });
      continue;
    }
    const { line } = read;
    count += 1;
    // Marketplace names match whatever their case; private app names as stored.
    const key = `${line.account}\u0000${line.marketplace}\u0000${line.marketplace ? line.app.toLowerCase() : line.app}\u0000${line.createdAt}`;
    const first = seen.get(key);
    if (first !== undefined)
      report({
        line: entry.line,
        field: 'created_at',
        message: `this installation (account, app, created_at) is already on line ${first}`,
      });
    else seen.set(key, entry.line);
    if (!accountsInFile.has(line.account)) outsideFile.set(line.account, [...(outsideFile.get(line.account) ?? []), entry.line]);
    if (line.marketplace) {
      const app = findMarketplaceAppByName(line.app);
      const problems = app === undefined ? [unknownMarketplaceApp(line.app)] : settingsProblems(app, line);
      for (const problem of problems) report({ line: entry.line, ...problem });
    } else {
      const pair = privateKey(line.account, line.app);
      const known = privateLines.get(pair) ?? { account: line.account, app: line.app, lines: [] };
      known.lines.push(entry.line);
      privateLines.set(pair, known);
    }
  }

  const inDatabase = await findAccountIdsBySubdomains(db, [...outsideFile.keys()], maxParameters);
  for (const [subdomain, lines] of outsideFile) {
    if (inDatabase.has(subdomain)) continue;
    for (const line of lines)
      report({ line, field: 'account', message: `names account "${subdomain}", which is neither in accounts.jsonl nor in the database` });
  }
  if (privateLines.size > 0) await checkPrivateAppLines(db, maxParameters, file, privateLines, inDatabase, report);
  return count;
}

/** Second look at the lines naming private apps, once those apps are read from the database in one go. */
async function checkPrivateAppLines(
  db: Queryable,
  maxParameters: number,
  file: string,
  privateLines: ReadonlyMap<string, { account: string; app: string; lines: number[] }>,
  accountIds: ReadonlyMap<string, number>,
  report: (problem: LineProblem) => void,
): Promise<void> {
  const apps = await resolvePrivateApps(db, maxParameters, accountIds, [...privateLines.values()]);
  for (const [pair, { account, app, lines }] of privateLines) {
    if (apps.has(pair)) continue;
    for (const line of lines)
      report({
        line,
        field: 'app',
        message: `names private app ${describe(app)}, which account ${account} does not have; create it first (POST /api/v2/apps.json)`,
      });
  }
  for await (const entry of readJsonLines(file)) {
    const read = entry.ok ? readLine(entry.value) : undefined;
    if (read === undefined || !read.ok || read.line.marketplace) continue;
    const app = apps.get(privateKey(read.line.account, read.line.app));
    if (app !== undefined) for (const problem of settingsProblems(app, read.line)) report({ line: entry.line, ...problem });
  }
}

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
    409,
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
  await recordAudit(tx, options.clock, ...events);
  summary.created += written.rows;
  summary.secureSettings += written.secrets;
  summary.auditEvents += events.length;
}
