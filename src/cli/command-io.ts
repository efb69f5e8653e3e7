import cliProgress from 'cli-progress';
import { InvalidArgumentError, Option } from 'commander';

/** Where a verb writes: the process's streams, or a test's. */
export interface CommandOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export const processOutput: CommandOutput = { stdout: process.stdout, stderr: process.stderr };

/**
 * `--data-dir`, as `withDataDir` in runtime-options.ts declares it, without
 * loading the server's composition root just to register a verb.
 */
export const dataDirOption = (): Option =>
  new Option('--data-dir <dir>', 'data directory of the embedded database').env('RIPOSTE_DATA_DIR');

/** A positive whole number argument or option (an id, a count) that a JavaScript number holds exactly. */
export function positiveWholeNumber(value: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw new InvalidArgumentError('Expects a positive whole number.');
  return Number(value);
}

/** A parser for a whole-number option from `min` to `max`, refused before anything opens. */
export function wholeNumberFrom(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max)
      throw new InvalidArgumentError(`Expects a whole number from ${min} to ${max}.`);
    return number;
  };
}

export interface Progress {
  update(phase: string, done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal (people); nothing otherwise
 * (pipes, CI), and never on stdout, which `--json` keeps for its document.
 */
export function progressOnTerminal(stderr: CommandOutput['stderr']): Progress {
  if (stderr.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: stderr, format: '{phase} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  let phase: string | undefined;
  return {
    update(next, done, total) {
      if (next !== phase) {
        if (phase !== undefined) bar.stop();
        phase = next;
        bar.start(total, done, { phase: next });
        return;
      }
      bar.setTotal(total);
      bar.update(done, { phase: next });
    },
    stop() {
      if (phase !== undefined) bar.stop();
      phase = undefined;
    },
  };
}

/** A verb's writers: text for people, and one JSON document for `--json`. */
export function writersFor(output: CommandOutput): { write: (text: string) => void; json: (value: unknown) => void } {
  const write = (text: string): void => {
    output.stdout.write(text);
  };
  return { write, json: (value) => write(`${JSON.stringify(value, null, 2)}\n`) };
}

/**
 * Opens the runtime for a verb's `--data-dir`, runs `work`, and closes the
 * runtime whatever happens.
 *
 * @example
 * await usingRuntime(openRuntime, options, async (runtime) => write(describe(await getIncident(runtime, id))));
 */
export async function usingRuntime<Runtime extends { close(): Promise<void> }, T>(
  open: (flags: { dataDir: string | undefined }) => Promise<Runtime>,
  options: { dataDir?: string },
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await open({ dataDir: options.dataDir });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
