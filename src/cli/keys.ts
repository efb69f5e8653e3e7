import type { Command } from 'commander';
import type { Db } from '../db/database.js';
import type { Clock } from '../platform/clock.js';
import { dataDirOption, processOutput, progressOnTerminal, type CommandOutput, wholeNumberFrom } from './command-io.js';
import { auditEventsByKeyVersion } from '../platform/audit/audit.service.js';
import type { Keyring, KeySource } from '../platform/crypto/keyring.js';
import {
  DEFAULT_REWRAP_BATCH_SIZE,
  MAX_REWRAP_BATCH_SIZE,
  rewrapDataKeys,
  type RewrapProgress,
} from '../platform/crypto/rewrap.service.js';

/** What `keys rotate` needs from the process: an open database, the keyring and the clock. */
export interface KeysRuntime {
  db: Db;
  keyring: Keyring;
  clock: Clock;
  close(): Promise<void>;
}

/** Flags of the verb that choose the runtime (every verb takes `--data-dir`, like `serve`). */
export interface KeysRuntimeFlags {
  dataDir: string | undefined;
}

/** Opens the runtime; a function ignoring its flags (`() => open(config)`) fits too. */
export type OpenKeysRuntime = (flags: KeysRuntimeFlags) => Promise<KeysRuntime>;

export type KeysCommandOutput = CommandOutput;

/** The `--json` document of `keys rotate`. */
export interface KeysRotateReport {
  keySource: KeySource;
  /** The version this run added to the key file; `null` with RIPOSTE_KEYS or `--resume`. */
  addedVersion: number | null;
  toVersion: number;
  fromVersions: number[];
  rewrapped: number;
  keyVersions: number[];
  /** Audit events per key version their hash is keyed with (`null`: plain hashes from before keying). */
  auditKeyVersions: { version: number | null; events: number }[];
}

interface RotateOptions {
  batchSize: number;
  resume?: boolean;
  json?: boolean;
  dataDir?: string;
}

const parseBatchSize = wholeNumberFrom(1, MAX_REWRAP_BATCH_SIZE);

function summary(report: KeysRotateReport, keyring: Keyring): string {
  const lines = [
    report.addedVersion !== null
      ? `Added key version ${report.addedVersion} to ${keyring.keyFile ?? 'the key file'}.`
      : `Using key version ${report.toVersion}, the newest in ${keyring.keyFile ?? 'RIPOSTE_KEYS'}.`,
    report.rewrapped === 0
      ? `Every data key was already wrapped with version ${report.toVersion}.`
      : `Re-wrapped ${report.rewrapped} data keys from version ${report.fromVersions.join(', ')} to version ${report.toVersion}.`,
    `New audit events are keyed with version ${report.toVersion}.`,
    `Keep the older versions until every Riposte process uses version ${report.toVersion} and no database backup from before this rotation is needed.`,
  ];
  const olderAudit = report.auditKeyVersions.filter((entry) => entry.version !== null && entry.version !== report.toVersion);
  if (olderAudit.length > 0) {
    const counts = olderAudit.map((entry) => `${entry.events} with version ${entry.version}`).join(', ');
    lines.push(
      `Audit events keyed with older versions (${counts}) verify only while those versions stay in the keyring: keep them as long as retention keeps those events.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function rotate(openRuntime: OpenKeysRuntime, options: RotateOptions, output: KeysCommandOutput): Promise<void> {
  const runtime = await openRuntime({ dataDir: options.dataDir });
  const bar = progressOnTerminal(options.json === true ? { ...output.stderr, isTTY: false } : output.stderr);
  const progress = {
    update: ({ done, total }: RewrapProgress) => bar.update('Re-wrapping data keys', done, total),
    stop: () => bar.stop(),
  };
  try {
    const { keyring } = runtime;
    // After an interrupted rotation the new version exists already: finish under it rather than add another.
    const addedVersion = keyring.source === 'file' && options.resume !== true ? keyring.addKeyVersion() : null;
    const result = await rewrapDataKeys(runtime.db, keyring, runtime.clock, {
      batchSize: options.batchSize,
      onProgress: progress.update,
      actor: { type: 'cli' },
    });
    progress.stop();
    const report: KeysRotateReport = {
      keySource: keyring.source,
      addedVersion,
      toVersion: result.toVersion,
      fromVersions: result.fromVersions,
      rewrapped: result.count,
      keyVersions: keyring.versions,
      auditKeyVersions: await auditEventsByKeyVersion(runtime.db),
    };
    output.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : summary(report, keyring));
  } finally {
    progress.stop();
    await runtime.close();
  }
}

/**
 * Adds `riposte keys rotate [--batch-size N] [--resume] [--json] [--data-dir DIR]`:
 * with the key file, adds a key version (unless `--resume`); with
 * RIPOSTE_KEYS, uses its newest version. Then re-wraps every data key under it.
 *
 * @example
 * registerKeysCommand(program, async () => ({ db, keyring, clock: systemClock, close }));
 * await program.parseAsync(['node', 'riposte', 'keys', 'rotate', '--json']);
 */
export function registerKeysCommand(program: Command, openRuntime: OpenKeysRuntime, output: KeysCommandOutput = processOutput): Command {
  const keys = program.command('keys').description('Manage the key-encryption keys that protect stored secrets');
  keys
    .command('rotate')
    .description('Add a key version (key file) or take the newest in RIPOSTE_KEYS, then re-wrap every data key under it')
    .option('--batch-size <n>', `data keys per transaction (1-${MAX_REWRAP_BATCH_SIZE})`, parseBatchSize, DEFAULT_REWRAP_BATCH_SIZE)
    .option('--resume', 'finish an interrupted rotation: re-wrap under the newest version without adding one')
    .option('--json', 'print one JSON document instead of text')
    .addOption(dataDirOption())
    .action((options: RotateOptions) => rotate(openRuntime, options, output));
  return keys;
}
