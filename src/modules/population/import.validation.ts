import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { findSubdomainsByHostMappings } from '../accounts/accounts.repo.js';
import type { AppDefinition } from '../apps/app-definition.js';
import { APPS_FILE, validateAppsFile } from '../apps/apps-import.validation.js';
import { INSTALLATIONS_FILE, validateInstallationsFile } from '../apps/installations-import.validation.js';
import { normaliseAccountLine, type ImportedAccount } from './import-lines.parser.js';
import { ACCOUNTS_FILE, located, ProblemList, USERS_FILE } from './import-problems.js';

export { ACCOUNTS_FILE, ProblemList, USERS_FILE } from './import-problems.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import { describeProblem, LISTED_PROBLEMS, type ImportProblem } from '../../platform/json-lines/line-problems.js';

/** Files of the import format that carry secrets. */
const SEALED_FILES = ['installations.jsonl', 'certificates.jsonl'] as const;

const PROGRESS_EVERY = 10_000;

export interface ImportProgress {
  /** `validating` and `importing` (users checked and written together) count bytes; `writing`, rows. */
  phase: 'validating' | 'importing' | 'writing';
  done: number;
  total: number;
}

/** The import's files that are present (the sealed ones only when the caller reads them). */
export interface ImportFiles {
  accountsFile: string | undefined;
  usersFile: string | undefined;
  appsFile: string | undefined;
  installationsFile: string | undefined;
}

/** What checking every file but `users.jsonl` found; the users are checked as they are read. */
export interface ImportCheck {
  /** Every account of `accounts.jsonl`, in file order (a few per thousand users: held in memory). */
  accounts: ImportedAccount[];
  /** Line of each subdomain of `accounts.jsonl`. */
  accountLines: Map<string, number>;
  /** Problems found so far; `users.jsonl` adds its own. */
  problems: ProblemList;
  /** Line counts of apps.jsonl and installations.jsonl, for progress. */
  apps: number;
  installations: number;
}

/** The order files are read and written in, and their problems listed. */
const FILE_ORDER = [ACCOUNTS_FILE, USERS_FILE, APPS_FILE, INSTALLATIONS_FILE];

/** `ImportInvalid`: nothing was imported, and the first problems by file and line. */
export function refusal(problems: ProblemList, dir: string): AppError {
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

/** The import files present in `dir`, and notices about the sealed ones left unread. */
export function locateImportFiles(dir: string, readInstallations: boolean): ImportFiles & { notices: string[] } {
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

/** Counts a line read (its length with its newline), or `count` lines of `chars` in all, towards the progress of a phase counted in bytes. */
export type LineProgress = (chars: number, count?: number) => void;

/**
 * Checks every file but `users.jsonl`, each read once end to end: every
 * line (fields, types, enums, timestamps, emails, unknown fields) and every
 * rule across lines and against the database (duplicate subdomains and host
 * mappings, host mappings of other accounts, private apps and
 * installations). Problems are collected, not thrown: the caller reads
 * `users.jsonl` next with `UsersCheck`, then refuses with every problem
 * (`refusal`) before anything is committed.
 */
export async function checkFilesBesideUsers(
  db: Queryable,
  maxParameters: number,
  files: ImportFiles,
  progress: LineProgress,
): Promise<ImportCheck> {
  const problems = new ProblemList();
  const accounts = files.accountsFile === undefined ? emptyAccounts() : await validateAccounts(files.accountsFile, problems, progress);
  await checkHostMappings(db, maxParameters, accounts.hosts, problems);
  // Private apps, then installations (the apps module checks both): against the accounts of the file and of
  // the database; an installation may name a private app of apps.jsonl.
  const apps =
    files.appsFile === undefined
      ? { count: 0, apps: new Map<string, AppDefinition | undefined>() }
      : await validateAppsFile(db, maxParameters, files.appsFile, accounts.lines, (p) => problems.add({ file: APPS_FILE, ...p }), progress);
  const installations =
    files.installationsFile === undefined
      ? 0
      : await validateInstallationsFile(
          db,
          maxParameters,
          files.installationsFile,
          accounts.lines,
          (p) => problems.add({ file: INSTALLATIONS_FILE, ...p }),
          progress,
          apps.apps,
        );
  return { accounts: accounts.records, accountLines: accounts.lines, problems, apps: apps.count, installations };
}

/** Sizes of the files to read, for progress in bytes. */
export const sizeOfFiles = (...files: Array<string | undefined>): number =>
  files.reduce((total, file) => total + (file === undefined ? 0 : fs.statSync(file).size), 0);

/** Progress in bytes for one phase, told every few thousand lines. */
export function byteProgress(
  phase: ImportProgress['phase'],
  total: number,
  onProgress: ((progress: ImportProgress) => void) | undefined,
): LineProgress & { end: () => void } {
  let done = 0;
  let lines = 0;
  const progress = (chars: number, count = 1): void => {
    done += chars;
    const before = lines;
    lines += count;
    if (Math.floor(lines / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY))
      onProgress?.({ phase, done: Math.min(done, total), total });
  };
  return Object.assign(progress, { end: () => onProgress?.({ phase, done: total, total }) });
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
