import type { Command } from 'commander';
import type { Db } from '../db/database.js';
import {
  DEFAULT_WRAP_BATCH_SIZE,
  MAX_WRAP_BATCH_SIZE,
  wrapLegacyPasswords,
  type WrapResult,
} from '../modules/auth/passwords/password-wrap.service.js';
import type { Clock } from '../platform/clock.js';
import type { Keyring } from '../platform/crypto/keyring.js';
import { dataDirOption, processOutput, progressOnTerminal, type CommandOutput, wholeNumberFrom } from './command-io.js';

/** What the password verbs need from the process (`main.ts`'s `Runtime` fits); tests hand in their own. */
export interface PasswordsRuntime {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  close(): Promise<void>;
}

/** Opens the runtime for a verb's `--data-dir` (DATABASE_URL wins); `() => openRuntime(...)` fits too. */
export type OpenPasswordsRuntime = (flags: { dataDir?: string }) => Promise<PasswordsRuntime>;

/** The `--json` document of `passwords wrap`. */
export interface PasswordsWrapReport extends WrapResult {
  seconds: number;
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

const parseBatchSize = wholeNumberFrom(1, MAX_WRAP_BATCH_SIZE);

export function describeWrap(report: PasswordsWrapReport): string {
  const schemes = Object.entries(report.schemes)
    .map(([scheme, count]) => `${scheme} ${count}`)
    .join(', ');
  const lines = [
    report.wrapped === 0
      ? 'No legacy password hash was left to wrap.'
      : `Wrapped ${count(report.wrapped, 'legacy password hash', 'legacy password hashes')} in argon2id ` +
        `across ${count(report.accounts, 'account', 'accounts')} (${schemes}) in ${report.seconds.toFixed(1)} s.`,
  ];
  if (report.skipped > 0) {
    lines.push(`Left ${report.skipped} as they were: they changed meanwhile (a sign-in upgraded them) or are in no accepted format.`);
  }
  lines.push('Users sign in as before; each hash becomes plain argon2id at its next sign-in. Running again is safe.');
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `riposte passwords wrap [--batch-size N] [--json] [--data-dir DIR]`:
 * wraps every legacy password hash (bcrypt, PBKDF2, salted SHA-1/SHA-256)
 * inside argon2id without the passwords, in resumable batches.
 *
 * @example
 * registerPasswordsCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
 * await program.parseAsync(['node', 'riposte', 'passwords', 'wrap', '--json']);
 */
export function registerPasswordsCommand(
  program: Command,
  openRuntime: OpenPasswordsRuntime,
  output: CommandOutput = processOutput,
): Command {
  const passwords = program.command('passwords').description('Manage stored password hashes');
  passwords
    .command('wrap')
    .addOption(dataDirOption())
    .description(
      'harden legacy password hashes at rest by wrapping them in argon2id, without the passwords (resumable: run again after an interruption)',
    )
    .option('--batch-size <n>', `hashes per transaction (1-${MAX_WRAP_BATCH_SIZE})`, parseBatchSize, DEFAULT_WRAP_BATCH_SIZE)
    .option('--json', 'print one JSON document instead of text')
    .action(async (options: { batchSize: number; json?: boolean; dataDir?: string }) => {
      const runtime = await openRuntime({ dataDir: options.dataDir });
      const progress = progressOnTerminal(output.stderr);
      const started = performance.now();
      try {
        const result = await wrapLegacyPasswords(runtime, {
          batchSize: options.batchSize,
          actor: { type: 'cli' },
          onProgress: ({ done, total }) => progress.update('Wrapping legacy password hashes', done, total),
        });
        progress.stop();
        const report: PasswordsWrapReport = { ...result, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) };
        output.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : describeWrap(report));
      } finally {
        progress.stop();
        await runtime.close();
      }
    });
  return passwords;
}
