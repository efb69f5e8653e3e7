import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { findAccountIdsBySubdomains, findSubdomainsByHostMappings } from '../accounts/accounts.repo.js';
import type { AppDefinition } from '../apps/app-definition.js';
import { APPS_FILE, validateAppsFile } from '../apps/apps-import.validation.js';
import { INSTALLATIONS_FILE, validateInstallationsFile } from '../apps/installations-import.validation.js';
import { normaliseAccountLine, normaliseUserLine, type ImportedAccount } from './import-lines.parser.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import { describeProblem, LISTED_PROBLEMS, type ImportProblem } from '../../platform/json-lines/line-problems.js';

export const ACCOUNTS_FILE = 'accounts.jsonl';
export const USERS_FILE = 'users.jsonl';
/** Files of the import format that carry secrets. */
const SEALED_FILES = ['installations.jsonl', 'certificates.jsonl'] as const;

// Problems kept in memory; past this only the count grows.
const KEPT_PROBLEMS = 1_000;
const PROGRESS_EVERY = 10_000;

export interface ImportProgress {
  phase: 'validating' | 'writing';
  done: number;
  total: number;
}

/** What a successful validation hands the write pass. */
export interface ImportPlan {
  accountsFile: string | undefined;
  usersFile: string | undefined;
  /** Every account of `accounts.jsonl`, in file order (a few per thousand users: held in memory). */
  accounts: ImportedAccount[];
  users: number;
  /** Lines of `users.jsonl` after which no account has users both before and after: safe commit points. */
  boundaries: Set<number>;
  notices: string[];
  /** apps.jsonl (private apps, written before the installations), and its line count. */
  appsFile: string | undefined;
  apps: number;
  /** installations.jsonl when it is to be imported (the caller can seal secrets), and its line count. */
  installationsFile: string | undefined;
  installations: number;
}

class ProblemList {
  readonly kept: ImportProblem[] = [];
  total = 0;
  add(problem: ImportProblem): void {
    this.total += 1;
    if (this.kept.length < KEPT_PROBLEMS) this.kept.push(problem);
  }
}

const located = (file: string, line: number, problems: ReadonlyArray<{ field?: string; message: string }>): ImportProblem[] =>
  problems.map((problem) =>
    problem.field === undefined ? { file, line, message: problem.message } : { file, line, field: problem.field, message: problem.message },
  );

/** The order files are read and written in, and their problems listed. */
const FILE_ORDER = [ACCOUNTS_FILE, USERS_FILE, APPS_FILE, INSTALLATIONS_FILE];

function refusal(problems: ProblemList, dir: string): AppError {
  const order = (p: ImportProblem): number => FILE_ORDER.indexOf(p.file);
  const sorted = [...problems.kept].sort((a, b) => order(a) - order(b) || a.line - b.line);
  const listed = sorted.slice(0, LISTED_PROBLEMS);
  const more = problems.total - listed.length;
  const lines = listed.map((p) => `  ${describeProblem(p)}`);
  if (more > 0) lines.push(`  and ${more.toLocaleString('en-US')} more`);
  const count = problems.total === 1 ? '1 problem' : `${problems.total.toLocaleString('en-US')} problems`;
  return new AppError('ImportInvalid', `Nothing was imported: ${count} in ${dir}. Fix them and import again.\n${lines.join('\n')}`, {
    details: { problems: listed, total: problems.total },
  });
}

const sizeOf = (file: string | undefined): number => (file === undefined ? 0 : fs.statSync(file).size);

function locateFiles(
  dir: string,
  readInstallations: boolean,
): {
  accountsFile: string | undefined;
  usersFile: string | undefined;
  appsFile: string | undefined;
  installationsFile: string | undefined;
  notices: string[];
} {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new AppError('ImportInvalid', `${dir} is not a directory. Give the directory that holds ${ACCOUNTS_FILE} and ${USERS_FILE}.`);
  }
  const present = (name: string): string | undefined => (fs.existsSync(path.join(dir, name)) ? path.join(dir, name) : undefined);
  const accountsFile = present(ACCOUNTS_FILE);
  const usersFile = present(USERS_FILE);
  // Private apps hold no secrets: read whichever files the caller takes.
  const appsFile = present(APPS_FILE);
  const installationsFile = readInstallations ? present(INSTALLATIONS_FILE) : undefined;
  if (accountsFile === undefined && usersFile === undefined && appsFile === undefined && installationsFile === undefined) {
    throw new AppError('ImportInvalid', `${dir} holds neither ${ACCOUNTS_FILE} nor ${USERS_FILE}; there is nothing to import.`);
  }
  // Both files hold secrets: a caller importing only people leaves them be.
  const notices = SEALED_FILES.filter((name) => present(name) !== undefined && !readInstallations).map(
    (name) => `${name} was found and left as it is: this import reads accounts, users and private apps only.`,
  );
  return { accountsFile, usersFile, appsFile, installationsFile, notices };
}

type LineProgress = (chars: number) => void;

/**
 * Reads both files once, end to end, and checks every line (fields, types,
 * enums, timestamps, emails, hash formats, unknown fields) and every rule
 * across lines and against the database (duplicate subdomains, host
 * mappings and emails, users of unknown accounts). Throws `ImportInvalid`
 * listing the first problems by file, line and field; nothing is written
 * before this has passed.
 */
export async function validateImport(
  db: Queryable,
  maxParameters: number,
  dir: string,
  onProgress?: (progress: ImportProgress) => void,
  options: { installations?: boolean } = {},
): Promise<ImportPlan> {
  const { accountsFile, usersFile, appsFile, installationsFile, notices } = locateFiles(dir, options.installations === true);
  const problems = new ProblemList();
  const total = sizeOf(accountsFile) + sizeOf(usersFile) + sizeOf(appsFile) + sizeOf(installationsFile);
  let done = 0;
  let lines = 0;
  const progress: LineProgress = (chars) => {
    done += chars;
    lines += 1;
    if (lines % PROGRESS_EVERY === 0) onProgress?.({ phase: 'validating', done: Math.min(done, total), total });
  };

  const accounts = accountsFile === undefined ? emptyAccounts() : await validateAccounts(accountsFile, problems, progress);
  const users = usersFile === undefined ? emptyUsers() : await validateUsers(usersFile, accounts.lines, problems, progress);
  await checkHostMappings(db, maxParameters, accounts.hosts, problems);
  await checkAccountsOutsideFile(db, maxParameters, users.outsideFile, problems);
  // Private apps, then installations (the apps module checks both): against the accounts of the file and of
  // the database; an installation may name a private app of apps.jsonl.
  const apps =
    appsFile === undefined
      ? { count: 0, apps: new Map<string, AppDefinition | undefined>() }
      : await validateAppsFile(db, maxParameters, appsFile, accounts.lines, (p) => problems.add({ file: APPS_FILE, ...p }), progress);
  const installations =
    installationsFile === undefined
      ? 0
      : await validateInstallationsFile(
          db,
          maxParameters,
          installationsFile,
          accounts.lines,
          (p) => problems.add({ file: INSTALLATIONS_FILE, ...p }),
          progress,
          apps.apps,
        );
  if (problems.total > 0) throw refusal(problems, dir);
  onProgress?.({ phase: 'validating', done: total, total });
  return {
    accountsFile,
    usersFile,
    accounts: accounts.records,
    users: users.count,
    boundaries: users.boundaries,
    notices,
    appsFile,
    apps: apps.count,
    installationsFile,
    installations,
  };
}

interface AccountsValidation {
  records: ImportedAccount[];
  /** Line of each subdomain. */
  lines: Map<string, number>;
  /** Line and subdomain of each host mapping. */
  hosts: Map<string, { line: number; subdomain: string }>;
}

const emptyAccounts = (): AccountsValidation => ({ records: [], lines: new Map(), hosts: new Map() });

async function validateAccounts(file: string, problems: ProblemList, progress: LineProgress): Promise<AccountsValidation> {
  const result = emptyAccounts();
  for await (const entry of readJsonLines(file)) {
    progress(entry.chars);
    const problem = (field: string, message: string): void => problems.add({ file: ACCOUNTS_FILE, line: entry.line, field, message });
    if (!entry.ok) {
      problems.add({ file: ACCOUNTS_FILE, line: entry.line, message: entry.message });
      continue;
    }
    const normalised = normaliseAccountLine(entry.value);
    if (!normalised.ok) {
      for (const found of located(ACCOUNTS_FILE, entry.line, normalised.problems)) problems.add(found);
      continue;
    }
    const account = normalised.record;
    const firstLine = result.lines.get(account.subdomain);
    if (firstLine !== undefined) {
      problem('subdomain', `"${account.subdomain}" is already on line ${firstLine}`);
      continue;
    }
    result.lines.set(account.subdomain, entry.line);
    if (account.host_mapping !== null) {
      const mapped = result.hosts.get(account.host_mapping);
      if (mapped !== undefined) problem('host_mapping', `"${account.host_mapping}" is already mapped on line ${mapped.line}`);
      else result.hosts.set(account.host_mapping, { line: entry.line, subdomain: account.subdomain });
    }
    result.records.push(account);
  }
  return result;
}

/** A host mapping of the file that the database gives to another account. */
async function checkHostMappings(
  db: Queryable,
  maxParameters: number,
  hosts: AccountsValidation['hosts'],
  problems: ProblemList,
): Promise<void> {
  if (hosts.size === 0) return;
  for (const [host, subdomain] of await findSubdomainsByHostMappings(db, [...hosts.keys()], maxParameters)) {
    const mapping = hosts.get(host);
    if (mapping === undefined || mapping.subdomain === subdomain) continue;
    problems.add({
      file: ACCOUNTS_FILE,
      line: mapping.line,
      field: 'host_mapping',
      message: `"${host}" is already mapped to account ${subdomain} in the database`,
    });
  }
}

/** Users may name accounts of the database that the file does not list; any other name is unknown. */
async function checkAccountsOutsideFile(
  db: Queryable,
  maxParameters: number,
  outsideFile: Map<string, number[]>,
  problems: ProblemList,
): Promise<void> {
  if (outsideFile.size === 0) return;
  const inDatabase = await findAccountIdsBySubdomains(db, [...outsideFile.keys()], maxParameters);
  for (const [subdomain, namingLines] of outsideFile) {
    if (inDatabase.has(subdomain)) continue;
    for (const line of namingLines) {
      problems.add({
        file: USERS_FILE,
        line,
        field: 'account',
        message: `names account "${subdomain}", which is neither in ${ACCOUNTS_FILE} nor in the database`,
      });
    }
  }
}

const emptyUsers = (): UsersValidation => ({ count: 0, boundaries: new Set(), outsideFile: new Map() });

interface UsersValidation {
  count: number;
  boundaries: Set<number>;
  /** Accounts named by users but absent from accounts.jsonl, with the lines naming them. */
  outsideFile: Map<string, number[]>;
}

async function validateUsers(
  file: string,
  accountLines: ReadonlyMap<string, number>,
  problems: ProblemList,
  progress: LineProgress,
): Promise<UsersValidation> {
  // Per account: realm and email seen, with the first line of each.
  const emails = new Map<string, Map<string, number>>();
  const spans = new Map<string, { first: number; last: number }>();
  const outsideFile = new Map<string, number[]>();
  let count = 0;
  for await (const entry of readJsonLines(file)) {
    progress(entry.chars);
    if (!entry.ok) {
      problems.add({ file: USERS_FILE, line: entry.line, message: entry.message });
      continue;
    }
    const result = normaliseUserLine(entry.value);
    if (!result.ok) {
      for (const problem of located(USERS_FILE, entry.line, result.problems)) problems.add(problem);
      continue;
    }
    const user = result.record;
    count += 1;
    if (!accountLines.has(user.account)) {
      const lines = outsideFile.get(user.account) ?? [];
      if (lines.length < KEPT_PROBLEMS) lines.push(entry.line);
      outsideFile.set(user.account, lines);
    }
    let seen = emails.get(user.account);
    if (seen === undefined) {
      seen = new Map();
      emails.set(user.account, seen);
    }
    const key = `${user.realm} ${user.email}`;
    const firstLine = seen.get(key);
    if (firstLine !== undefined) {
      problems.add({
        file: USERS_FILE,
        line: entry.line,
        field: 'email',
        message: `${user.email} is already on line ${firstLine} for account ${user.account} in realm ${user.realm}`,
      });
      continue;
    }
    seen.set(key, entry.line);
    const span = spans.get(user.account);
    if (span === undefined) spans.set(user.account, { first: entry.line, last: entry.line });
    else span.last = entry.line;
  }
  return { count, boundaries: commitPoints(spans), outsideFile };
}

/**
 * The lines after which every account seen so far has all its users behind
 * it: the ends of the merged spans of lines per account. A file grouped by
 * account can commit after any account; a shuffled one, only at its end.
 */
function commitPoints(spans: ReadonlyMap<string, { first: number; last: number }>): Set<number> {
  const ordered = [...spans.values()].sort((a, b) => a.first - b.first);
  const points = new Set<number>();
  let end = -1;
  for (const span of ordered) {
    if (span.first > end && end >= 0) points.add(end);
    end = Math.max(end, span.last);
  }
  if (end >= 0) points.add(end);
  return points;
}
