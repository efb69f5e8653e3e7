import type { Queryable } from '../../db/database.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import { findMarketplaceAppByName, MARKETPLACE_APPS, MAX_APP_NAME, type AppDefinition } from './app-definition.js';
import { findPrivateAppsByNames } from './apps.repo.js';
import { privateAppDefinition } from './apps.service.js';
import { checkImportedSettings } from './installation-settings.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';

/**
 * `installations.jsonl` (DESIGN.md, "Import lines"):
 * `{"account":"acme","app":"Slack","marketplace":true,"created_at":"2016-02-01T00:00:00Z","settings":{...},"secure_settings":{...}}`,
 * and optionally `"enabled": false`. A marketplace app is named as the
 * catalog names it; a private app (`"marketplace": false`) must be one the
 * account has already or one `apps.jsonl` gives it (written first). Secure settings are sealed with `set_at` = `created_at`:
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
export interface InstallationLine {
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
export function readLine(value: unknown): { ok: true; line: InstallationLine } | { ok: false; problems: Array<Omit<LineProblem, 'line'>> } {
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

export const privateKey = (account: string, app: string): string => `${account}\u0000${app}`;

function unknownMarketplaceApp(name: string): Omit<LineProblem, 'line'> {
  return {
    field: 'app',
    message: `${describe(name)} is not a marketplace app; the marketplace has ${MARKETPLACE_APPS.map((app) => app.name).join(', ')} (set "marketplace": false for a private app)`,
  };
}

/** The private apps named by lines, by account subdomain and app name: one lookup per batch. */
export async function resolvePrivateApps(
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
 * catalog, or the account's private apps: those of `appsInFile`, keyed by
 * `privateKey(account, name)`, then the database's; an app `appsInFile` maps
 * to `undefined` has a refused line of its own, so its installations are not
 * checked), that every setting is a field of
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
  appsInFile: ReadonlyMap<string, AppDefinition | undefined> = new Map(),
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
  if (privateLines.size > 0) await checkPrivateAppLines(db, maxParameters, file, privateLines, appsInFile, report);
  return count;
}

/** Second look at the lines naming private apps, once those apps are read from the database in one go. */
async function checkPrivateAppLines(
  db: Queryable,
  maxParameters: number,
  file: string,
  privateLines: ReadonlyMap<string, { account: string; app: string; lines: number[] }>,
  appsInFile: ReadonlyMap<string, AppDefinition | undefined>,
  report: (problem: LineProblem) => void,
): Promise<void> {
  const toLookUp = [...privateLines].filter(([pair]) => !appsInFile.has(pair)).map(([, named]) => named);
  // Accounts of accounts.jsonl may be in the database already, with apps of their own.
  const accountIds = await findAccountIdsBySubdomains(db, [...new Set(toLookUp.map((pair) => pair.account))], maxParameters);
  // The file's definition wins: where it differs from the database's, apps.jsonl reports it.
  const apps = new Map(await resolvePrivateApps(db, maxParameters, accountIds, toLookUp));
  for (const [pair, app] of appsInFile) if (app !== undefined) apps.set(pair, app);
  for (const [pair, { account, app, lines }] of privateLines) {
    if (apps.has(pair) || appsInFile.has(pair)) continue;
    for (const line of lines)
      report({
        line,
        field: 'app',
        message: `names private app ${describe(app)}, which account ${account} does not have; create it first (POST /api/v2/apps.json) or add it to apps.jsonl`,
      });
  }
  for await (const entry of readJsonLines(file)) {
    const read = entry.ok ? readLine(entry.value) : undefined;
    if (read === undefined || !read.ok || read.line.marketplace) continue;
    const app = apps.get(privateKey(read.line.account, read.line.app));
    if (app !== undefined) for (const problem of settingsProblems(app, read.line)) report({ line: entry.line, ...problem });
  }
}
