import type { DatabaseHandle } from '../../db/database.js';
import { AppError, isAppError } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import fs from 'node:fs';
import path from 'node:path';
import { emptyAppsSummary, importApps, type AppsImportSummary } from '../apps/apps-import.service.js';
import { emptyInstallationsSummary, importInstallations, type InstallationsImportSummary } from '../apps/installations-import.service.js';
import {
  certificateFileSource,
  writeCertificateImport,
  type CertificateImportSummary,
} from '../certificates/certificates-import.service.js';
import {
  CERTIFICATES_FILE,
  validateCertificateImport,
  type CertificateImportPlan,
} from '../certificates/certificates-import.validation.js';
import { normaliseUserLine, type ImportedAccount, type ImportedUser } from './import-lines.parser.js';
import {
  byteProgress,
  checkFilesBesideUsers,
  locateImportFiles,
  refusal,
  sizeOfFiles,
  USERS_FILE,
  type ImportCheck,
  type ImportProgress,
} from './import.validation.js';
import { readJsonLineBatches } from '../../platform/json-lines/json-lines.js';
import {
  PopulationWriter,
  ROWS_PER_FLUSH,
  writePopulation,
  type PopulationItem,
  type PopulationSummary,
  type WritePopulationOptions,
} from './population.writer.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { UsersCheckThread } from './users-check.thread.js';
import { UsersCheck } from './users-check.js';

/** Checked batches of users the checking thread may send ahead of the writes: enough to keep both threads busy, few enough to keep memory flat. */
const USER_BATCHES_AHEAD = 4;

export type { ImportProblem } from '../../platform/json-lines/line-problems.js';
export type { ImportProgress } from './import.validation.js';

export interface ImportOptions {
  clock: Clock;
  actor?: Actor;
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Where users.jsonl is checked whole before it is written (a database shared across processes):
   * commit at the first safe point after this many rows (default 50,000). Otherwise the import is one transaction.
   */
  rowsPerTransaction?: number;
  /** Seals installations' secure settings and certificates' private keys, and keys the audit events. */
  keyring: Keyring;
  /** `false`: installations.jsonl and certificates.jsonl are noticed, not read (default `true`). */
  secretFiles?: boolean;
}

export interface ImportSummary extends PopulationSummary {
  /** Things the caller should tell the person importing (files not imported yet). */
  notices: string[];
  /** Private apps of `apps.jsonl`. */
  apps: AppsImportSummary;
  installations: InstallationsImportSummary;
  certificates: CertificateImportSummary;
}

const emptyCertificatesSummary = (): CertificateImportSummary => ({
  created: 0,
  unchanged: 0,
  active: 0,
  superseded: 0,
  expired: 0,
  existingSuperseded: 0,
});

/**
 * Imports `accounts.jsonl` and `users.jsonl` from `dir` (DESIGN.md, "Import
 * lines"). Any problem refuses the import with nothing written
 * (`ImportInvalid`, naming file, line and field). The small files are checked
 * first; `users.jsonl` is then read once, each line checked and written in
 * the same pass, inside one transaction that is rolled back at the first bad
 * line (the rest is still checked, to list every problem). Where several
 * processes share the database (PostgreSQL), a transaction that long would
 * hold others' writes, so users.jsonl is checked whole first, then written
 * many rows per transaction, each account complete in one. Importing the same
 * files again changes nothing.
 *
 * `apps.jsonl` (private apps) is checked with the accounts and written after
 * them; unless `options.secretFiles` is false, so is `installations.jsonl`,
 * written after the apps it may name (apps module), and `certificates.jsonl`.
 *
 * @example
 * const summary = await importPopulation(handle, './export', { clock: systemClock, keyring });
 * // summary.users.created, summary.users.unchanged, summary.notices
 */
export async function importPopulation(handle: DatabaseHandle, dir: string, options: ImportOptions): Promise<ImportSummary> {
  const readSecretFiles = options.secretFiles !== false;
  const actor = options.actor ?? { type: 'cli' as const };
  const { notices, ...files } = locateImportFiles(dir, readSecretFiles);
  const checkUsersFirst = handle.capabilities.sharedAcrossProcesses;
  const validating = byteProgress(
    'validating',
    sizeOfFiles(files.accountsFile, files.appsFile, files.installationsFile, checkUsersFirst ? files.usersFile : undefined),
    options.onProgress,
  );
  const check = await checkFilesBesideUsers(handle.db, handle.capabilities.maxParameters, files, validating);
  const certificates = await checkCertificates(handle, dir, readSecretFiles, options.clock, check.accounts, actor);
  const writing: WritePopulationOptions = {
    clock: options.clock,
    keyring: options.keyring,
    actor,
    source: 'import',
    ...(options.rowsPerTransaction === undefined ? {} : { rowsPerTransaction: options.rowsPerTransaction }),
  };
  const pass: UsersPassOptions = {
    onProgress: options.onProgress,
    validating,
    anyProblem: () => check.problems.total > 0 || certificates.refusal !== undefined,
    refuseIfAnyProblem: () => {
      if (check.problems.total > 0) throw refusal(check.problems, dir);
      if (certificates.refusal !== undefined) throw certificates.refusal;
    },
  };
  const summary = checkUsersFirst
    ? await checkThenWriteUsers(handle, files.usersFile, check, writing, pass)
    : await importUsersInOnePass(handle, files.usersFile, check, writing, pass);
  // Private apps, then installations, after the accounts they name are committed (apps module; its own
  // batches and audit events), so that an installation finds the private app it names.
  const apps =
    files.appsFile === undefined
      ? emptyAppsSummary()
      : await importApps(handle, files.appsFile, {
          clock: options.clock,
          keyring: options.keyring,
          actor,
          onProgress: (done) => options.onProgress?.({ phase: 'writing', done, total: check.apps }),
        });
  const installations =
    files.installationsFile === undefined
      ? emptyInstallationsSummary()
      : await importInstallations(handle, files.installationsFile, {
          clock: options.clock,
          keyring: options.keyring,
          actor,
          onProgress: (done) => options.onProgress?.({ phase: 'writing', done, total: check.installations }),
        });
  const certificatesSummary =
    certificates.plan === undefined
      ? emptyCertificatesSummary()
      : await writeCertificateImport({ db: handle.db, clock: options.clock, keyring: options.keyring, handle }, certificates.plan, {
          actor,
        });
  return { ...summary, notices, apps, installations, certificates: certificatesSummary };
}

/**
 * Checks `certificates.jsonl` before anything is written. Its refusal is
 * kept, not thrown: the population's own problems are listed first.
 */
async function checkCertificates(
  handle: DatabaseHandle,
  dir: string,
  readSecretFiles: boolean,
  clock: Clock,
  accounts: readonly ImportedAccount[],
  actor: Actor,
): Promise<{ plan?: CertificateImportPlan; refusal?: AppError }> {
  const file = path.join(dir, CERTIFICATES_FILE);
  if (!readSecretFiles || !fs.existsSync(file)) return {};
  try {
    const plan = await validateCertificateImport({ db: handle.db, clock, handle }, certificateFileSource(file), {
      accountsInFile: new Set(accounts.map((account) => account.subdomain)),
      actor,
    });
    return { plan };
  } catch (error) {
    if (isAppError(error) && error.code === 'ImportInvalid') return { refusal: error };
    throw error;
  }
}

interface UsersPassOptions {
  onProgress: ImportOptions['onProgress'];
  /** Whether any file had a problem so far. */
  anyProblem: () => boolean;
  /** Throws the refusal when any file had a problem. */
  refuseIfAnyProblem: () => void;
  /** Progress of the files read before anything is written. */
  validating: ReturnType<typeof byteProgress>;
}

/**
 * One read of users.jsonl, on a thread of its own (`UsersCheckThread`) that
 * checks each line and hands over the users that passed, a batch at a time:
 * here the accounts outside accounts.jsonl that a batch names are looked up,
 * then its users written, all in the writer's one transaction, while the
 * thread checks the next lines. At the first problem that transaction is
 * rolled back and the rest of the file is only checked. Nothing is committed
 * before every line has passed.
 */
async function importUsersInOnePass(
  handle: DatabaseHandle,
  usersFile: string | undefined,
  check: ImportCheck,
  writing: WritePopulationOptions,
  options: UsersPassOptions,
): Promise<PopulationSummary> {
  options.validating.end();
  const importing = byteProgress('importing', sizeOfFiles(usersFile), options.onProgress);
  // One transaction: no boundary is ever given, whatever the commit size.
  const writer = new PopulationWriter(handle, { ...writing, rowsPerTransaction: Number.POSITIVE_INFINITY });
  const accounts = new AccountsInOrder(check.accounts);
  let writes = !options.anyProblem();
  // Looked up in the writer's transaction while it writes; once it is abandoned, in the database.
  const existing = (subdomains: readonly string[]): Promise<ReadonlySet<string>> =>
    writes ? writer.existingAccounts(subdomains) : accountsInDatabase(handle)(subdomains);
  try {
    if (usersFile !== undefined) {
      const thread = UsersCheckThread.start({
        usersFile,
        accountLines: [...check.accountLines],
        rowsPerBatch: ROWS_PER_FLUSH,
        batchesAhead: USER_BATCHES_AHEAD,
        sendRows: writes,
      });
      try {
        for await (const batch of thread.batches()) {
          importing(batch.chars, batch.lines);
          const unknownAccounts = await thread.settle(batch.named, existing);
          if (writes && (unknownAccounts > 0 || batch.problems > 0 || options.anyProblem())) {
            // Free the database now; the rest of the file is only checked.
            writes = false;
            await writer.abandon();
            thread.stopRows();
          }
          if (writes) await writer.takeAll(accounts.withUsers(batch.users));
        }
        check.problems.absorb(await thread.finish(existing));
      } finally {
        await thread.close();
      }
    }
    options.refuseIfAnyProblem();
    await writer.takeAll(accounts.notNamed().map((account) => ({ kind: 'account' as const, account })));
    importing.end();
    return await writer.finish();
  } catch (error) {
    await writer.abandon();
    throw error;
  }
}

/** Settles the accounts users.jsonl named outside accounts.jsonl with those `existing` finds. */
async function settleAccounts(users: UsersCheck, existing: (subdomains: readonly string[]) => Promise<ReadonlySet<string>>): Promise<void> {
  const unsettled = users.unsettledAccounts();
  if (unsettled.length > 0) users.settleAccounts(await existing(unsettled));
}

/** The subdomains of `subdomains` that name an account in the database. */
const accountsInDatabase =
  (handle: DatabaseHandle) =>
  async (subdomains: readonly string[]): Promise<ReadonlySet<string>> =>
    new Set((await findAccountIdsBySubdomains(handle.db, subdomains, handle.capabilities.maxParameters)).keys());

/**
 * users.jsonl checked whole, then read again and written many rows per
 * transaction, committing only where every account so far has all its users
 * behind it. A line that no longer passes on the second read means the file
 * changed: what was committed stays (`ImportFailed`).
 */
async function checkThenWriteUsers(
  handle: DatabaseHandle,
  usersFile: string | undefined,
  check: ImportCheck,
  writing: WritePopulationOptions,
  options: UsersPassOptions,
): Promise<PopulationSummary> {
  const users = new UsersCheck(check.accountLines, check.problems);
  if (usersFile !== undefined) {
    for await (const lines of readJsonLineBatches(usersFile)) {
      for (const entry of lines) {
        options.validating(entry.chars);
        if (users.needsEarlierLines(entry)) await users.readEarlierLines(usersFile, entry.line);
        users.check(entry);
      }
    }
  }
  await settleAccounts(users, accountsInDatabase(handle));
  options.refuseIfAnyProblem();
  options.validating.end();
  return writePopulation(handle, checkedItems(usersFile, check.accounts, users.commitPoints()), {
    ...writing,
    onProgress: (usersDone) => options.onProgress?.({ phase: 'writing', done: usersDone, total: users.count }),
  });
}

/**
 * The checked files as writer items: each account just before its first
 * user, a boundary wherever a commit is safe, then the accounts that have no
 * users.
 */
async function* checkedItems(
  usersFile: string | undefined,
  accountsOfFile: readonly ImportedAccount[],
  commitPoints: ReadonlySet<number>,
): AsyncGenerator<PopulationItem> {
  const accounts = new AccountsInOrder(accountsOfFile);
  if (usersFile !== undefined) {
    for await (const lines of readJsonLineBatches(usersFile)) {
      for (const entry of lines) {
        const result = entry.ok ? normaliseUserLine(entry.value) : undefined;
        if (result === undefined || !result.ok) {
          throw new AppError(
            'ImportFailed',
            `${USERS_FILE} changed while it was being imported (line ${entry.line} no longer validates). Import it again; rows already written are kept and will count as unchanged.`,
          );
        }
        const user = result.record;
        const account = accounts.firstNaming(user);
        if (account !== undefined) yield { kind: 'account', account };
        yield { kind: 'user', user };
        if (commitPoints.has(entry.line)) yield { kind: 'boundary' };
      }
    }
  }
  for (const account of accounts.notNamed()) {
    yield { kind: 'account', account };
    yield { kind: 'boundary' };
  }
}

/** The accounts of accounts.jsonl, each handed to the writer once: just before its first user, or at the end. */
class AccountsInOrder {
  private readonly bySubdomain: Map<string, ImportedAccount>;
  private readonly named = new Set<string>();

  constructor(private readonly accounts: readonly ImportedAccount[]) {
    this.bySubdomain = new Map(accounts.map((account) => [account.subdomain, account]));
  }

  /** The user's account when it is in the file and this is its first user. */
  firstNaming(user: ImportedUser): ImportedAccount | undefined {
    if (this.named.has(user.account)) return undefined;
    const account = this.bySubdomain.get(user.account);
    if (account !== undefined) this.named.add(user.account);
    return account;
  }

  /** Writer items for `users`, each account of the file just before its first user. */
  *withUsers(users: readonly ImportedUser[]): Generator<PopulationItem> {
    for (const user of users) {
      const account = this.firstNaming(user);
      if (account !== undefined) yield { kind: 'account', account };
      yield { kind: 'user', user };
    }
  }

  /** The accounts no user named, in file order. */
  notNamed(): ImportedAccount[] {
    return this.accounts.filter((account) => !this.named.has(account.subdomain));
  }
}
