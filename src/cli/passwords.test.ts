import { testKeyring } from '../../test/support/app.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingOpener, runCli, type CountingOpener } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertAccount } from '../../test/support/fixtures.js';
import { insertPasswordCredential, insertUser } from '../../test/support/identity-fixtures.js';
import { hashSaltedSha1 } from '../modules/auth/password-formats.js';
import { FixedClock } from '../platform/clock.js';
import { registerPasswordsCommand, type PasswordsRuntime, type PasswordsWrapReport } from './passwords.js';

describe.each(backends)('riposte passwords wrap on %s', (backend) => {
  let database: TestDatabase;
  let runtime: CountingOpener<{ dataDir?: string }, PasswordsRuntime>;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    runtime = countingOpener(() => ({ db: database.db, clock: new FixedClock(), keyring: testKeyring(database) }));
    const account = await insertAccount(database.db, 'acme');
    for (const email of ['ana@acme.test', 'bob@acme.test', 'cy@acme.test']) {
      const user = await insertUser(database.db, account, email);
      await insertPasswordCredential(database.db, user, { password_hash: hashSaltedSha1(`${email}-password`, 'ab') });
    }
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli(
      (program, output) => registerPasswordsCommand(program, runtime.open, output),
      ['passwords', 'wrap', ...args],
    );
    return stdout;
  }

  it('wraps with --json, printing one document, and finds nothing left the second time', async () => {
    const report = JSON.parse(await run('--json', '--batch-size', '2', '--data-dir', database.dataDir)) as PasswordsWrapReport;
    expect(report).toMatchObject({ wrapped: 3, skipped: 0, accounts: 1, schemes: { sha1: 3 }, batches: 2 });
    expect(typeof report.seconds).toBe('number');
    expect(runtime.opened).toEqual([{ dataDir: database.dataDir }]);
    expect(runtime.closed).toBe(1);
    expect(await run()).toContain('No legacy password hash was left to wrap.');
    expect(runtime.closed).toBe(2);
  });

  it('prints a summary for people', async () => {
    const output = await run();
    expect(output).toContain('Wrapped 3 legacy password hashes in argon2id across 1 account (sha1 3)');
    expect(output).toContain('Running again is safe.');
  });

  it('refuses a batch size out of range', async () => {
    await expect(run('--batch-size', '0')).rejects.toThrow(/whole number from 1 to 5000/);
    expect(runtime.opened).toEqual([]);
  });
});
