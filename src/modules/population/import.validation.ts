import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { findSubdomainsByHostMappings } from '../accounts/accounts.repo.js';
import type { AppDefinition } from '../apps/app-definition.js';
import { APPS_FILE, validateAppsFile } from '../apps/apps-import.validation.js';
import { INSTALLATIONS_FILE, validateInstallationsFile } from '../apps/installations-import.validation.js';
import { normaliseAccountLine, normaliseUserLine, type ImportedAccount, type ImportedUser } from './import-lines.parser.js';
import { readJsonLines, type JsonLine } from '../../platform/json-lines/json-lines.js';
import { describeProblem, LISTED_PROBLEMS, type ImportProblem } from '../../platform/json-lines/line-problems.js';

export const ACCOUNTS_FILE = 'accounts.jsonl';
export const USERS_FILE = 'users.jsonl';
/** Files of the import format that carry secrets. */
const SEALED_FILES = ['installations.jsonl', 'certificates.jsonl'] as const;

// Problems kept in memory; past this only the count grows.
const KEPT_PROBLEMS = 1_000;
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

/** The problems of every file: the first thousand kept, the rest counted. */
export class ProblemList {
  readonly kept: ImportProblem[] = [];
  total = 0;
  add(problem: ImportProblem): void {
    this.total += 1;
    if (this.kept.length < KEPT_PROBLEMS) this.kept.push(problem);
  }

  /** Adds another list's problems (a thread's): its kept ones while room remains, all of its count. */
  absorb(other: { kept: readonly ImportProblem[]; total: number }): void {
    for (const problem of other.kept) if (this.kept.length < KEPT_PROBLEMS) this.kept.push(problem);
    this.total += other.total;
  }
}

const located = (file: string, line: number, problems: ReadonlyArray<{ field?: string; message: string }>): ImportProblem[] =>
  problems.map((problem) =>
    problem.field === undefined ? { file, line, message: problem.message } : { file, line, field: problem.field, message: problem.message },
  );

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

/**
 * The checks of `users.jsonl`, one line at a time as it is read: each line's
 * fields, a duplicate email in one account and realm, and the account it
 * names, which must be in `accounts.jsonl` or in the database. Accounts
 * outside the file are looked up in batches: `unsettledAccounts`, then
 * `settleAccounts` with those the database has.
 */
export class UsersCheck {
  count = 0;
  // Per account: realm and email seen, with the first line of each. In a file grouped by account (as exports
  // write it) only the account whose lines run now keeps them, so memory stays flat whatever the file's size;
  // the first account to come back after its lines ended has every ended account's emails read again
  // (`readEarlierLines`), and from then on every account keeps its own.
  private readonly emails = new Map<string, Map<string, number>>();
  private running: string | undefined;
  private readonly ended = new Set<string>();
  private keepEveryAccount = false;
  private readonly spans = new Map<string, { first: number; last: number }>();
  /** Accounts named by users, absent from accounts.jsonl and not looked up yet, with the lines naming them. */
  private readonly unsettled = new Map<string, number[]>();
  private readonly inDatabase = new Set<string>();
  private readonly unknown = new Set<string>();

  constructor(
    private readonly accountLines: ReadonlyMap<string, number>,
    private readonly problems: ProblemList,
  ) {}

  /** The line's user when it passes every check so far; else its problems are recorded. */
  check(entry: JsonLine): ImportedUser | undefined {
    if (!entry.ok) {
      this.problems.add({ file: USERS_FILE, line: entry.line, message: entry.message });
      return undefined;
    }
    const result = normaliseUserLine(entry.value);
    if (!result.ok) {
      for (const problem of located(USERS_FILE, entry.line, result.problems)) this.problems.add(problem);
      return undefined;
    }
    const user = result.record;
    this.count += 1;
    const known = this.checkAccount(user.account, entry.line);
    if (user.account !== this.running) this.endRun(user.account);
    let seen = this.emails.get(user.account);
    if (seen === undefined) {
      seen = new Map();
      this.emails.set(user.account, seen);
    }
    const key = `${user.realm} ${user.email}`;
    const firstLine = seen.get(key);
    if (firstLine !== undefined) {
      this.problems.add({
        file: USERS_FILE,
        line: entry.line,
        field: 'email',
        message: `${user.email} is already on line ${firstLine} for account ${user.account} in realm ${user.realm}`,
      });
      return undefined;
    }
    seen.set(key, entry.line);
    const span = this.spans.get(user.account);
    if (span === undefined) this.spans.set(user.account, { first: entry.line, last: entry.line });
    else span.last = entry.line;
    return known ? user : undefined;
  }

  /**
   * Whether `entry` names an account whose lines ended earlier in the file,
   * while only running accounts keep their emails: `readEarlierLines` must
   * run before it is checked.
   */
  needsEarlierLines(entry: JsonLine): boolean {
    if (this.keepEveryAccount || !entry.ok) return false;
    const account = (entry.value as { account?: unknown } | null)?.account;
    if (typeof account !== 'string' || account === this.running) return false;
    const result = normaliseUserLine(entry.value);
    return result.ok && this.ended.has(result.record.account);
  }

  /** Reads again the emails of every account whose lines ended, from the lines before `line`; every account keeps its own from now on. */
  async readEarlierLines(file: string, line: number): Promise<void> {
    this.keepEveryAccount = true;
    for await (const entry of readJsonLines(file)) {
      if (entry.line >= line) break;
      const result = entry.ok ? normaliseUserLine(entry.value) : undefined;
      if (result === undefined || !result.ok || !this.ended.has(result.record.account)) continue;
      let seen = this.emails.get(result.record.account);
      if (seen === undefined) {
        seen = new Map();
        this.emails.set(result.record.account, seen);
      }
      const key = `${result.record.realm} ${result.record.email}`;
      if (!seen.has(key)) seen.set(key, entry.line);
    }
    this.ended.clear();
  }

  /** A line names `next`: the running account's lines end here, and its emails go unless every account keeps its own. */
  private endRun(next: string): void {
    if (this.running !== undefined && !this.keepEveryAccount) {
      this.emails.delete(this.running);
      this.ended.add(this.running);
    }
    this.running = next;
  }

  /** Accounts that lines name, neither in accounts.jsonl nor looked up in the database yet. */
  unsettledAccounts(): string[] {
    return [...this.unsettled.keys()];
  }

  /**
   * Settles the accounts `unsettledAccounts` gave (by default all of them; else those `looked` up): the lines
   * naming one that `existing` lacks are problems.
   */
  settleAccounts(existing: ReadonlySet<string>, looked: readonly string[] = this.unsettledAccounts()): void {
    for (const subdomain of looked) {
      const lines = this.unsettled.get(subdomain);
      if (lines === undefined) continue;
      this.unsettled.delete(subdomain);
      if (existing.has(subdomain)) {
        this.inDatabase.add(subdomain);
        continue;
      }
      this.unknown.add(subdomain);
      for (const line of lines) this.unknownAccount(subdomain, line);
    }
  }

  /**
   * The lines after which every account seen so far has all its users behind
   * it: the ends of the merged spans of lines per account. A file grouped by
   * account can commit after any account; a shuffled one, only at its end.
   */
  commitPoints(): Set<number> {
    const ordered = [...this.spans.values()].sort((a, b) => a.first - b.first);
    const points = new Set<number>();
    let end = -1;
    for (const span of ordered) {
      if (span.first > end && end >= 0) points.add(end);
      end = Math.max(end, span.last);
    }
    if (end >= 0) points.add(end);
    return points;
  }

  /** Whether the user's account is known to exist (in the file or the database) by now. */
  private checkAccount(subdomain: string, line: number): boolean {
    if (this.accountLines.has(subdomain) || this.inDatabase.has(subdomain)) return true;
    if (this.unknown.has(subdomain)) {
      this.unknownAccount(subdomain, line);
      return false;
    }
    const lines = this.unsettled.get(subdomain);
    if (lines === undefined) this.unsettled.set(subdomain, [line]);
    else if (lines.length < KEPT_PROBLEMS) lines.push(line);
    // Looked up with the rest of its batch, before any of its users is written.
    return true;
  }

  private unknownAccount(subdomain: string, line: number): void {
    this.problems.add({
      file: USERS_FILE,
      line,
      field: 'account',
      message: `names account "${subdomain}", which is neither in ${ACCOUNTS_FILE} nor in the database`,
    });
  }
}
