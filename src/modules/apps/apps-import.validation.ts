import type { Queryable } from '../../db/database.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import type { FieldProblem } from '../../platform/json-lines/line-problems.js';
import { isProduct, PRODUCTS, type Product } from '../../platform/products.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { findMarketplaceAppByName, MAX_APP_NAME, parseAppFields, type AppDefinition, type AppField } from './app-definition.js';
import { countPrivateAppsByAccount, findPrivateAppsByNames } from './apps.repo.js';
import { MAX_PRIVATE_APPS_PER_ACCOUNT, privateAppDefinition } from './apps.service.js';
import { privateKey, type LineProblem } from './installations-import.validation.js';

/**
 * `apps.jsonl`: an account's private apps, as `POST /api/v2/apps.json` takes
 * them, with the time each was created:
 * `{"account":"acme","name":"Returns bot","product":"support","created_at":"2015-06-01T00:00:00Z","fields":[{"name":"endpoint","type":"url","required":true},{"name":"api_key","secure":true}]}`.
 * It is written before `installations.jsonl`, so a line there with
 * `"marketplace": false` finds a private app of its account named here.
 * An app is matched by account and name: one already present with the same
 * product and fields is left as it is (its `created_at` too).
 */
export const APPS_FILE = 'apps.jsonl';

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const LINE_FIELDS = new Set(['account', 'name', 'product', 'created_at', 'fields']);
/** Lines written per transaction. */
export const APPS_PER_TRANSACTION = 500;

/** One valid line of `apps.jsonl`. */
export interface AppLine {
  account: string;
  name: string;
  product: Product;
  fields: AppField[];
  createdAt: string;
}

const describe = (value: unknown): string => (value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value).slice(0, 60));

/** The line's fields, each problem named by its field (`fields[1].type` for one field of the app). */
export function readAppLine(value: unknown): { ok: true; line: AppLine } | { ok: false; problems: FieldProblem[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problems: [{ message: 'must be a JSON object' }] };
  const line = value as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const field of Object.keys(line))
    if (!LINE_FIELDS.has(field))
      problems.push({ field: field.slice(0, 64), message: `is not a known field; expected only ${[...LINE_FIELDS].join(', ')}` });
  const { account, name, product, created_at: createdAt } = line;
  if (typeof account !== 'string' || !SUBDOMAIN.test(account))
    problems.push({ field: 'account', message: `must be the subdomain of an account; got ${describe(account)}` });
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_APP_NAME)
    problems.push({ field: 'name', message: `must be the app's name, at most ${MAX_APP_NAME} characters` });
  else if (name.trim() !== name)
    problems.push({ field: 'name', message: 'must not start or end with spaces (installations name the app exactly as written here)' });
  else if (findMarketplaceAppByName(name) !== undefined)
    problems.push({ field: 'name', message: `${describe(name)} is the name of a marketplace app; give the private app another name` });
  if (!isProduct(product)) problems.push({ field: 'product', message: `must be one of ${PRODUCTS.join(', ')}; got ${describe(product)}` });
  const created = typeof createdAt === 'string' ? normaliseTimestamp(createdAt) : undefined;
  if (created === undefined)
    problems.push({
      field: 'created_at',
      message: `must be an ISO-8601 UTC timestamp such as 2015-06-01T00:00:00Z; got ${describe(createdAt)}`,
    });
  const fields = line.fields === undefined ? undefined : parseAppFields(line.fields);
  if (fields === undefined) problems.push({ field: 'fields', message: 'is required: the settings fields of the app, [] if it has none' });
  else if (!fields.ok) problems.push(...fields.problems);
  if (problems.length > 0 || fields === undefined || !fields.ok) return { ok: false, problems };
  return {
    ok: true,
    line: { account: account as string, name: name as string, product: product as Product, fields: fields.fields, createdAt: created! },
  };
}

/** The app a line defines, as installation lines are checked against it (its id is given when it is written). */
export function appLineDefinition(line: AppLine): AppDefinition {
  return { id: 0, name: line.name, product: line.product, marketplace: false, fields: line.fields, author: null, shortDescription: null };
}

/** Same product and the same fields in the same order: the stored app is the line's. */
export function sameApp(line: AppLine, stored: AppDefinition): boolean {
  return stored.product === line.product && JSON.stringify(stored.fields) === JSON.stringify(line.fields);
}

const fieldList = (app: AppDefinition): string => (app.fields.length === 0 ? 'no fields' : app.fields.map((f) => f.name).join(', '));

/**
 * Checks every line of `apps.jsonl`: its fields (as the API checks a new
 * private app), that its account is in `accounts.jsonl` or the database,
 * that no two lines name the same app of an account, that an app the
 * account has already has the same product and fields, and that no account
 * ends up with more than `MAX_PRIVATE_APPS_PER_ACCOUNT`. Reports each
 * problem with its line. Returns the number of lines and the apps the file
 * defines, by `privateKey(account, name)`, for the installations that name
 * them; an app whose line is refused maps to `undefined` (its problems are
 * reported here, not again for each installation). Nothing is written.
 */
export async function validateAppsFile(
  db: Queryable,
  maxParameters: number,
  file: string,
  accountsInFile: ReadonlyMap<string, unknown>,
  report: (problem: LineProblem) => void,
  progress?: (chars: number) => void,
): Promise<{ count: number; apps: Map<string, AppDefinition | undefined> }> {
  const lines = new Map<string, { lineNumber: number; line: AppLine }>();
  const refused = new Set<string>();
  let count = 0;
  for await (const entry of readJsonLines(file)) {
    progress?.(entry.chars);
    if (!entry.ok) {
      report({ line: entry.line, message: entry.message });
      continue;
    }
    const read = readAppLine(entry.value);
    if (!read.ok) {
      for (const problem of read.problems) report({ line: entry.line, ...problem });
      const named = namedApp(entry.value);
      if (named !== undefined && !lines.has(named)) refused.add(named);
      continue;
    }
    count += 1;
    const key = privateKey(read.line.account, read.line.name);
    const first = lines.get(key);
    if (first !== undefined)
      report({ line: entry.line, field: 'name', message: `account ${read.line.account} has this app already on line ${first.lineNumber}` });
    else lines.set(key, { lineNumber: entry.line, line: read.line });
  }
  await checkAgainstDatabase(db, maxParameters, [...lines.values()], accountsInFile, report);
  const apps = new Map<string, AppDefinition | undefined>([...refused].map((key) => [key, undefined]));
  for (const [key, { line }] of lines) apps.set(key, appLineDefinition(line));
  return { count, apps };
}

/** The app a refused line is about, when it says: its installations are not reported as naming no app. */
function namedApp(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { account, name } = value as Record<string, unknown>;
  return typeof account === 'string' && typeof name === 'string' ? privateKey(account, name) : undefined;
}

/** Accounts that exist nowhere, apps the accounts already have in another shape, and the per-account limit. */
async function checkAgainstDatabase(
  db: Queryable,
  maxParameters: number,
  lines: ReadonlyArray<{ lineNumber: number; line: AppLine }>,
  accountsInFile: ReadonlyMap<string, unknown>,
  report: (problem: LineProblem) => void,
): Promise<void> {
  if (lines.length === 0) return;
  const accountIds = await findAccountIdsBySubdomains(db, [...new Set(lines.map(({ line }) => line.account))], maxParameters);
  const ids = [...accountIds.values()];
  const stored = new Map(
    (await findPrivateAppsByNames(db, ids, [...new Set(lines.map(({ line }) => line.name))], maxParameters)).map((row) => [
      `${Number(row.account_id)}\u0000${row.name}`,
      privateAppDefinition(row),
    ]),
  );
  const storedCounts = await countPrivateAppsByAccount(db, ids, maxParameters);
  // Per subdomain: the apps the account will hold, counted as the lines add new ones.
  const held = new Map<string, number>();
  for (const { lineNumber, line } of lines) {
    const accountId = accountIds.get(line.account);
    if (accountId === undefined && !accountsInFile.has(line.account))
      report({
        line: lineNumber,
        field: 'account',
        message: `names account "${line.account}", which is neither in accounts.jsonl nor in the database`,
      });
    const existing = accountId === undefined ? undefined : stored.get(`${accountId}\u0000${line.name}`);
    if (existing !== undefined) {
      if (!sameApp(line, existing))
        report({
          line: lineNumber,
          field: existing.product === line.product ? 'fields' : 'product',
          message: `account ${line.account} already has private app ${describe(line.name)} for ${existing.product} with ${fieldList(existing)}; give the same product and fields, or another name`,
        });
      continue;
    }
    const before = held.get(line.account) ?? (accountId === undefined ? 0 : (storedCounts.get(accountId) ?? 0));
    held.set(line.account, before + 1);
    if (before >= MAX_PRIVATE_APPS_PER_ACCOUNT)
      report({
        line: lineNumber,
        field: 'name',
        message: `account ${line.account} would hold more than ${MAX_PRIVATE_APPS_PER_ACCOUNT} private apps, the most an account may have`,
      });
  }
}
