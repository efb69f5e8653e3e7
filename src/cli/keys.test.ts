import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingOpener, runCli, type CliOutput, type CountingOpener } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { recordAudit } from '../platform/audit/audit.service.js';
import { FixedClock } from '../platform/clock.js';
import { decryptSecretConfidential, sealSecret } from '../platform/crypto/envelope.service.js';
import { KEY_FILE_NAME } from '../platform/crypto/key-file.js';
import { loadKeyring, type Keyring } from '../platform/crypto/keyring.js';
import { registerKeysCommand, type KeysRotateReport, type KeysRuntime, type KeysRuntimeFlags } from './keys.js';

const location = { accountId: 3, table: 'app_installations', column: 'secure_settings', rowId: 1 };

describe.each(backends)('riposte keys rotate on %s', (backend) => {
  let database: TestDatabase;
  let sealed: string;
  let runtime: CountingOpener<KeysRuntimeFlags, KeysRuntime>;
  let keyringInUse: Keyring;
  const clock = new FixedClock();

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    runtime = countingOpener(() => ({ db: database.db, keyring: keyringInUse, clock }));
    sealed = await sealSecret(database.db, loadKeyring({ keys: undefined, dataDir: database.dataDir }), clock, {
      ...location,
      plaintext: 'token',
    });
  });
  afterEach(() => database.dispose());

  async function run(keyring: Keyring, ...args: string[]): Promise<string> {
    return (await runWithTerminal(keyring, false, ...args)).stdout;
  }

  function runWithTerminal(keyring: Keyring, terminal: boolean, ...args: string[]): Promise<CliOutput> {
    keyringInUse = keyring;
    return runCli((program, output) => registerKeysCommand(program, runtime.open, output), ['keys', 'rotate', ...args], {
      isTTY: terminal,
      columns: 100,
    });
  }

  it('adds a key version to the key file and re-wraps, printing one JSON document', async () => {
    const keyring = loadKeyring({ keys: undefined, dataDir: database.dataDir });
    const report = JSON.parse(await run(keyring, '--json', '--batch-size', '1')) as KeysRotateReport;
    expect(report).toEqual({
      keySource: 'file',
      addedVersion: 2,
      toVersion: 2,
      fromVersions: [1],
      rewrapped: 1,
      keyVersions: [1, 2],
      auditKeyVersions: [{ version: 2, events: 1 }],
    });
    expect(runtime.closed).toBe(1);
    const retired = loadKeyring({ keys: undefined, dataDir: database.dataDir });
    expect(await decryptSecretConfidential(database.db, retired, { ...location, sealed })).toBe('token');
  });

  it('uses the newest RIPOSTE_KEYS version and prints a summary for people', async () => {
    // The operator moves the key file's version 1 into RIPOSTE_KEYS and appends version 5.
    const file = JSON.parse(fs.readFileSync(path.join(database.dataDir, KEY_FILE_NAME), 'utf8')) as {
      keys: { version: number; key: string }[];
    };
    const keys = [...file.keys.map((k) => `${k.version}:${k.key}`), `5:${crypto.randomBytes(32).toString('base64')}`].join(',');
    // Audit events keyed with version 1 before the rotation still need it to verify.
    const before = loadKeyring({ keys: undefined, dataDir: database.dataDir });
    await recordAudit(database.db, { clock, keyring: before }, { accountId: 3, actor: { type: 'cli' }, action: 'thing.changed' });
    const output = await run(loadKeyring({ keys, dataDir: database.dataDir }));
    expect(output).toContain('Using key version 5, the newest in RIPOSTE_KEYS.');
    expect(output).toContain('Re-wrapped 1 data keys from version 1 to version 5.');
    expect(output).toContain('New audit events are keyed with version 5.');
    expect(output).toContain(
      'Audit events keyed with older versions (1 with version 1) verify only while those versions stay in the keyring',
    );
    expect(runtime.closed).toBe(1);
  });

  it('finishes an interrupted rotation with --resume, without adding another version', async () => {
    const keyring = loadKeyring({ keys: undefined, dataDir: database.dataDir });
    keyring.addKeyVersion(); // the rotation that was interrupted before re-wrapping
    const report = JSON.parse(await run(keyring, '--resume', '--json')) as KeysRotateReport;
    expect(report).toMatchObject({ addedVersion: null, toVersion: 2, fromVersions: [1], rewrapped: 1, keyVersions: [1, 2] });
    expect(await run(keyring, '--resume')).toContain('Every data key was already wrapped with version 2.');
  });

  it('draws a progress bar on a terminal, and none under --json', async () => {
    const keyring = loadKeyring({ keys: undefined, dataDir: database.dataDir });
    const people = await runWithTerminal(keyring, true);
    expect(people.stderr).toContain('Re-wrapping data keys');
    expect(people.stderr).toContain('1/1');
    expect(people.stdout).toContain('Added key version 2 to');
    const machines = await runWithTerminal(keyring, true, '--json');
    expect(machines.stderr).toBe('');
    expect(JSON.parse(machines.stdout)).toMatchObject({ addedVersion: 3, rewrapped: 1 });
  });

  it('refuses a bad --batch-size before opening anything', async () => {
    await expect(run(loadKeyring({ keys: undefined, dataDir: database.dataDir }), '--batch-size', '0')).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
    expect(runtime.closed).toBe(0);
  });
});
