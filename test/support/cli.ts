import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import type { CommandOutput } from '../../src/cli/command-io.js';

/** What a verb wrote. */
export interface CliOutput {
  stdout: string;
  stderr: string;
}

/** How the captured stderr presents itself: a terminal (progress bars) or a pipe (the default). */
export interface CliTerminal {
  isTTY?: boolean;
  columns?: number;
}

/**
 * Runs `args` (the user's words, without `node riposte`) through a fresh
 * program on which `register` declared its verbs, capturing stdout and stderr.
 * Commander's own error text is swallowed; its errors, like the verb's, reject.
 *
 * @example
 * const { stdout } = await runCli((program, output) => registerStaffCommand(program, open, output), ['staff', 'list']);
 */
export async function runCli(
  register: (program: Command, output: CommandOutput) => unknown,
  args: readonly string[],
  terminal: CliTerminal = {},
): Promise<CliOutput> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), terminal);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  register(program, { stdout, stderr });
  await program.parseAsync(args, { from: 'user' });
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** A runtime opener for a verb under test that hands out `runtime` with a `close` that does nothing. */
export const openRuntime =
  <Runtime extends object>(runtime: Runtime) =>
  (): Promise<Runtime & { close(): Promise<void> }> =>
    Promise.resolve({ ...runtime, close: () => Promise.resolve() });

/**
 * A runtime opener that records the flags of each open and counts the closes,
 * so a test can check every verb closes what it opens. `Runtime` may name the
 * verb's runtime type, `close` included: the opener supplies its own.
 */
export interface CountingOpener<Flags, Runtime> {
  readonly open: (flags: Flags) => Promise<Omit<Runtime, 'close'> & { close(): Promise<void> }>;
  readonly opened: Flags[];
  readonly closed: number;
}

/**
 * A `CountingOpener` over `runtime`, called at each open (so it sees the test's
 * current database and clock).
 */
export function countingOpener<Flags, Runtime extends object>(runtime: () => Runtime): CountingOpener<Flags, Runtime> {
  const opened: Flags[] = [];
  let closed = 0;
  return {
    opened,
    get closed() {
      return closed;
    },
    open: (flags) => {
      opened.push(flags);
      const close = (): Promise<void> => {
        closed += 1;
        return Promise.resolve();
      };
      return Promise.resolve({ ...runtime(), close });
    },
  };
}
