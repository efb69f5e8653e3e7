/** What the benchmarks share: their numeric flags and the JSON Lines files of a synthetic population. */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { DemoPopulation } from '../src/modules/population/demo.generator.js';

/** `--name N` from the command line (underscores allowed: `--users 1_000_000`). */
export function numericArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const raw = index < 0 ? undefined : process.argv[index + 1];
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer; got ${raw}`);
  return value;
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const out = fs.createWriteStream(file, { highWaterMark: 1 << 20 });
  for (const line of lines) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * Writes `accounts.jsonl` and `users.jsonl` of a demo population into `dir`,
 * with well-formed hashes that are not computed (a million bcrypt hashes
 * would take minutes and measure nothing of ours).
 */
export async function writePopulationFiles(dir: string, accounts: number, users: number): Promise<void> {
  const population = new DemoPopulation({ accounts, users, seed: 'bench', hashes: 'format-only' });
  const accountLines: string[] = [];
  function* userLines(): Generator<string> {
    for (const item of population.lines()) {
      if (item.kind === 'account') accountLines.push(JSON.stringify(item.line));
      else if (item.kind === 'user') yield JSON.stringify(item.line);
    }
  }
  await writeLines(path.join(dir, 'users.jsonl'), userLines());
  await writeLines(path.join(dir, 'accounts.jsonl'), accountLines);
}
