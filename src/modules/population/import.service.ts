import type { DatabaseHandle } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
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
}

export interface ImportSummary extends PopulationSummary {
  /** Things the caller should tell the person importing (files not imported yet). */
  notices: string[];
}

/**
 * Imports `accounts.jsonl` and `users.jsonl` from `dir` (DESIGN.md, "Import
 * lines"). A first pass validates both files whole; any problem refuses the
 * import before anything is written (`ImportInvalid`, naming file, line and
 * field). The second pass streams the rows to the bulk writer: many rows per
 * transaction, each account complete in one. Importing the same files again
 * changes nothing.
 *
 * @example
 * const summary = await importPopulation(handle, './export', { clock: systemClock });
 * // summary.users.created, summary.users.unchanged, summary.notices
 */
export async function importPopulation(handle: DatabaseHandle, dir: string, options: ImportOptions): Promise<ImportSummary> {
  const plan = await validateImport(handle.db, handle.capabilities.maxParameters, dir, options.onProgress);
  const summary = await writePopulation(handle, planItems(plan), {
    clock: options.clock,
    actor: options.actor ?? { type: 'cli' },
    source: 'import',
    ...(options.rowsPerTransaction === undefined ? {} : { rowsPerTransaction: options.rowsPerTransaction }),
    onProgress: (usersDone) => options.onProgress?.({ phase: 'writing', done: usersDone, total: plan.users }),
  });
  return { ...summary, notices: plan.notices };
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
