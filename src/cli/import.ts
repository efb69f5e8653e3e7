import path from 'node:path';
import type { Command } from 'commander';
import type { DatabaseHandle } from '../db/database.js';
import type { Clock } from '../platform/clock.js';
import type { Keyring } from '../platform/crypto/keyring.js';
import { importPopulation, type ImportProgress, type ImportSummary } from '../modules/population/import.service.js';
import { dataDirOption, processOutput, progressOnTerminal, type CommandOutput } from './command-io.js';

/** What `import` and `demo` need from the process (`main.ts`'s `Runtime` fits). */
export interface PopulationRuntime {
  handle: DatabaseHandle;
  clock: Clock;
  /** Where accounts answer, for the demo's sign-in addresses; `localhost:3000` when absent. */
  config?: { baseDomain: string; port: number };
  /** Seals imported secrets (installation keys, certificate private keys). */
  keyring: Keyring;
  close(): Promise<void>;
}

/** Opens the runtime for a verb's `--data-dir` (DATABASE_URL wins); `() => openRuntime(...)` fits too. */
export type OpenPopulationRuntime = (flags: { dataDir: string | undefined }) => Promise<PopulationRuntime>;

const count = (n: number): string => n.toLocaleString('en-US');

const PROGRESS_LABELS: Record<ImportProgress['phase'], string> = {
  validating: 'Validating (bytes)',
  importing: 'Checking and writing users (bytes)',
  writing: 'Writing users',
};

export function describeImport(summary: ImportSummary, seconds: number): string {
  return [
    `Imported in ${seconds.toFixed(1)} s:`,
    `  accounts   ${count(summary.accounts.created)} created, ${count(summary.accounts.unchanged)} unchanged`,
    `  users      ${count(summary.users.created)} created, ${count(summary.users.unchanged)} unchanged`,
    `  passwords  ${count(summary.passwords.created)} created`,
    `  apps       ${count(summary.apps.created)} created, ${count(summary.apps.unchanged)} unchanged`,
    `  installs   ${count(summary.installations.created)} created, ${count(summary.installations.unchanged)} unchanged`,
    `  certs      ${count(summary.certificates.created)} created (${count(summary.certificates.active)} active, ${count(summary.certificates.expired)} expired), ${count(summary.certificates.unchanged)} unchanged`,
    `  audit      ${count(summary.auditEvents)} account.imported event(s)`,
  ].join('\n');
}

/**
 * `riposte import <dir> [--json]`: checks every line and writes users as it
 * reads them, committing only when all passed; refuses, naming file, line and
 * field, with nothing written. Importing the same files again changes nothing.
 */
export function registerImportCommand(program: Command, open: OpenPopulationRuntime, output: CommandOutput = processOutput): void {
  program
    .command('import')
    .addOption(dataDirOption())
    .argument(
      '<dir>',
      'directory holding accounts.jsonl, users.jsonl and optionally apps.jsonl, installations.jsonl, certificates.jsonl (JSON Lines; see the README)',
    )
    .description('import accounts and users: nothing is written unless every line is valid; importing again changes nothing')
    .option('--json', 'print one JSON document (the summary) on stdout')
    .action(async (dir: string, options: { dataDir?: string; json?: boolean }) => {
      const runtime = await open({ dataDir: options.dataDir });
      const progress = progressOnTerminal(output.stderr);
      const started = performance.now();
      try {
        const summary = await importPopulation(runtime.handle, path.resolve(dir), {
          clock: runtime.clock,
          keyring: runtime.keyring,
          actor: { type: 'cli' },
          onProgress: (p) => progress.update(PROGRESS_LABELS[p.phase], p.done, p.total),
        });
        progress.stop();
        const seconds = (performance.now() - started) / 1000;
        for (const notice of summary.notices) output.stderr.write(`notice: ${notice}\n`);
        if (options.json === true) output.stdout.write(`${JSON.stringify({ ...summary, seconds: Number(seconds.toFixed(3)) }, null, 2)}\n`);
        else output.stdout.write(`${describeImport(summary, seconds)}\n`);
      } finally {
        progress.stop();
        await runtime.close();
      }
    });
}
