import type { DatabaseHandle } from '../../db/database.js';
import { AppError } from '../../errors.js';
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
import { CERTIFICATES_FILE, validateCertificateImport } from '../certificates/certificates-import.validation.js';
import { normaliseUserLine } from './import-lines.parser.js';
import { USERS_FILE, validateImport, type ImportPlan, type ImportProgress } from './import.validation.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import { writePopulation, type PopulationItem, type PopulationSummary } from './population.writer.js';

export type { ImportProblem } from '../../platform/json-lines/line-problems.js';
export type { ImportProgress } from './import.validation.js';

export interface ImportOptions {
  clock: Clock;
  actor?: Actor;
  onProgress?: (progress: ImportProgress) => void;
  /** Commit at the first safe point after this many rows (default 50,000). */
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
 * lines"). A first pass validates both files whole; any problem refuses the
 * import before anything is written (`ImportInvalid`, naming file, line and
 * field). The second pass streams the rows to the bulk writer: many rows per
 * transaction, each account complete in one. Importing the same files again
 * changes nothing.
 *
 * `apps.jsonl` (private apps) is validated in the first pass too and written
 * after the accounts; unless `options.secretFiles` is false, so is
 * `installations.jsonl`, written after the apps it may name (apps module).
 *
 * @example
 * const summary = await importPopulation(handle, './export', { clock: systemClock, keyring });
 * // summary.users.created, summary.users.unchanged, summary.notices
 */
export async function importPopulation(handle: DatabaseHandle, dir: string, options: ImportOptions): Promise<ImportSummary> {
  const readSecretFiles = options.secretFiles !== false;
  const plan = await validateImport(handle.db, handle.capabilities.maxParameters, dir, options.onProgress, {
    installations: readSecretFiles,
  });
  const actor = options.actor ?? { type: 'cli' as const };
  const certificatesFile = path.join(dir, CERTIFICATES_FILE);
  const certificatePlan =
    !readSecretFiles || !fs.existsSync(certificatesFile)
      ? undefined
      : await validateCertificateImport({ db: handle.db, clock: options.clock, handle }, certificateFileSource(certificatesFile), {
          accountsInFile: new Set(plan.accounts.map((account) => account.subdomain)),
          actor,
        });
  const summary = await writePopulation(handle, planItems(plan), {
    clock: options.clock,
    keyring: options.keyring,
    actor: options.actor ?? { type: 'cli' },
    source: 'import',
    ...(options.rowsPerTransaction === undefined ? {} : { rowsPerTransaction: options.rowsPerTransaction }),
    onProgress: (usersDone) => options.onProgress?.({ phase: 'writing', done: usersDone, total: plan.users }),
  });
  // Private apps, then installations, after the accounts they name are committed (apps module; its own
  // batches and audit events), so that an installation finds the private app it names.
  const apps =
    plan.appsFile === undefined
      ? emptyAppsSummary()
      : await importApps(handle, plan.appsFile, {
          clock: options.clock,
          keyring: options.keyring,
          actor,
          onProgress: (done) => options.onProgress?.({ phase: 'writing', done, total: plan.apps }),
        });
  const installations =
    plan.installationsFile === undefined
      ? emptyInstallationsSummary()
      : await importInstallations(handle, plan.installationsFile, {
          clock: options.clock,
          keyring: options.keyring,
          actor: options.actor ?? { type: 'cli' },
          onProgress: (done) => options.onProgress?.({ phase: 'writing', done, total: plan.installations }),
        });
  const certificates =
    certificatePlan === undefined
      ? emptyCertificatesSummary()
      : await writeCertificateImport({ db: handle.db, clock: options.clock, keyring: options.keyring, handle }, certificatePlan, { actor });
  return { ...summary, notices: plan.notices, apps, installations, certificates };
}

/**
 * The validated files as writer items: each account just before its first
 * user, a boundary wherever the plan allows a commit, then the accounts
 * that have no users.
 */
async function* planItems(plan: ImportPlan): AsyncGenerator<PopulationItem> {
  const accounts = new Map(plan.accounts.map((account) => [account.subdomain, account]));
  const emitted = new Set<string>();
  if (plan.usersFile !== undefined) {
    for await (const entry of readJsonLines(plan.usersFile)) {
      const result = entry.ok ? normaliseUserLine(entry.value) : undefined;
      if (result === undefined || !result.ok) {
        throw new AppError(
          'ImportFailed',
          `${USERS_FILE} changed while it was being imported (line ${entry.line} no longer validates). Import it again; rows already written are kept and will count as unchanged.`,
        );
      }
      const user = result.record;
      const account = accounts.get(user.account);
      if (account !== undefined && !emitted.has(user.account)) {
        emitted.add(user.account);
        yield { kind: 'account', account };
      }
      yield { kind: 'user', user };
      if (plan.boundaries.has(entry.line)) yield { kind: 'boundary' };
    }
  }
  for (const account of plan.accounts) {
    if (emitted.has(account.subdomain)) continue;
    yield { kind: 'account', account };
    yield { kind: 'boundary' };
  }
}
