import type { DatabaseHandle } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import fs from 'node:fs';
import path from 'node:path';
import { emptyInstallationsSummary, importInstallations, type InstallationsImportSummary } from '../apps/installations.import.js';
import {
  certificateFileSource,
  writeCertificateImport,
  type CertificateImportSummary,
} from '../certificates/certificates-import.service.js';
import { CERTIFICATES_FILE, validateCertificateImport } from '../certificates/certificates-import.validation.js';
import { normaliseUserLine } from './import.schema.js';
import { USERS_FILE, validateImport, type ImportPlan, type ImportProgress } from './import.validation.js';
import { readJsonLines } from './json-lines.js';
import { writePopulation, type PopulationItem, type PopulationSummary } from './population.writer.js';

export type { ImportProblem, ImportProgress } from './import.validation.js';

export interface ImportOptions {
  clock: Clock;
  actor?: Actor;
  onProgress?: (progress: ImportProgress) => void;
  /** Commit at the first safe point after this many rows (default 50,000). */
  rowsPerTransaction?: number;
  /** Seals installations' secure settings and certificates' private keys; without it those files are noticed, not read. */
  keyring?: Keyring;
}

export interface ImportSummary extends PopulationSummary {
  /** Things the caller should tell the person importing (files not imported yet). */
  notices: string[];
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
 * With `options.keyring`, `installations.jsonl` is validated in the first
 * pass too and written after the accounts (apps module).
 *
 * @example
 * const summary = await importPopulation(handle, './export', { clock: systemClock });
 * // summary.users.created, summary.users.unchanged, summary.notices
 */
export async function importPopulation(handle: DatabaseHandle, dir: string, options: ImportOptions): Promise<ImportSummary> {
  const plan = await validateImport(handle.db, handle.capabilities.maxParameters, dir, options.onProgress, {
    installations: options.keyring !== undefined,
  });
  const actor = options.actor ?? { type: 'cli' as const };
  const certificatesFile = path.join(dir, CERTIFICATES_FILE);
  const certificatePlan =
    options.keyring === undefined || !fs.existsSync(certificatesFile)
      ? undefined
      : await validateCertificateImport({ db: handle.db, clock: options.clock, handle }, certificateFileSource(certificatesFile), {
          accountsInFile: new Set(plan.accounts.map((account) => account.subdomain)),
          actor,
        });
  const summary = await writePopulation(handle, planItems(plan), {
    clock: options.clock,
    actor: options.actor ?? { type: 'cli' },
    source: 'import',
    ...(options.rowsPerTransaction === undefined ? {} : { rowsPerTransaction: options.rowsPerTransaction }),
    onProgress: (usersDone) => options.onProgress?.({ phase: 'writing', done: usersDone, total: plan.users }),
  });
  // Installations after the accounts they name are committed (apps module; its own batches and audit events).
  const installations =
    plan.installationsFile === undefined || options.keyring === undefined
      ? emptyInstallationsSummary()
      : await importInstallations(handle, plan.installationsFile, {
          clock: options.clock,
          keyring: options.keyring,
          actor: options.actor ?? { type: 'cli' },
          onProgress: (done) => options.onProgress?.({ phase: 'writing', done, total: plan.installations }),
        });
  const certificates =
    certificatePlan === undefined || options.keyring === undefined
      ? emptyCertificatesSummary()
      : await writeCertificateImport({ db: handle.db, clock: options.clock, keyring: options.keyring, handle }, certificatePlan, { actor });
  return { ...summary, notices: plan.notices, installations, certificates };
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
          409,
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
