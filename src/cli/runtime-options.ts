import { ERROR_CATALOGUE } from '../error-catalogue.js';
import type { Command } from 'commander';
import { dataDirOption } from './command-io.js';
import { AppError, isAppError } from '../errors.js';
import { openRuntime, type ConfigFlags, type Runtime } from '../main.js';

/** `--data-dir` on every verb that touches the database (DATABASE_URL overrides it). */
export function withDataDir(command: Command): Command {
  return command.addOption(dataDirOption());
}

/** Opens the runtime from a verb's options, runs `work`, always closes. */
export async function withRuntime<T>(options: { dataDir?: string } & ConfigFlags, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime({ ...options, dataDir: options.dataDir });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/** One JSON document on stdout, for `--json`. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an error the way a person can act on it and sets the exit code. */
export function reportCliError(error: unknown): void {
  if (isAppError(error)) {
    process.stderr.write(`riposte: ${error.message}\n`);
    process.exitCode = ERROR_CATALOGUE[error.code].exitCode;
    return;
  }
  process.stderr.write(`riposte: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}

export const cliError = (message: string): AppError => new AppError('CommandFailed', message);
