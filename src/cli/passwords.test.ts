import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertAccount } from '../../test/support/fixtures.js';
import { insertUser } from '../../test/support/identity-fixtures.js';
import { hashSaltedSha1 } from '../modules/auth/password-formats.js';
import { FixedClock } from '../platform/clock.js';
import { registerPasswordsCommand, type PasswordsWrapReport } from './passwords.js';

describe.each(backends)('riposte passwords wrap on %s', (backend) => {
  let database: TestDatabase;
  let closed: number;
  let opened: { dataDir?: string }[];

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    closed = 0;
    opened = [];
    const account = await insertAccount(database.db, 'acme');
    for (const email of ['ana@acme.test', 'bob@acme.test', 'cy@acme.test']) {
      const user = await insertUser(database.db, account, email);
      await database.db
        .insertInto('password_credentials')
        .values({
          account_id: account.id,
          user_id: user.id,
          password_hash: hashSaltedSha1(`${email}-password`, 'ab'),
          password_changed_at: '2015-01-01T00:00:00.000Z',
          must_change: 0,
          must_change_reason: null,
          must_change_incident_id: null,
        })
        .execute();
    }
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerPasswordsCommand(
      program,
      (flags) => {
        opened.push(flags);
        return Promise.resolve({
          db: database.db,
          clock: new FixedClock(),
          close: () => {
            closed += 1;
            return Promise.resolve();
          },
        });
      },
      { stdout, stderr: new PassThrough() },
    );
    await program.parseAsync(['passwords', 'wrap', ...args], { from: 'user' });
    return Buffer.concat(chunks).toString('utf8');
  }

  it('wraps with --json, printing one document, and finds nothing left the second time', async () => {
    const report = JSON.parse(await run('--json', '--batch-size', '2', '--data-dir', database.dataDir)) as PasswordsWrapReport;
    expect(report).toMatchObject({ wrapped: 3, skipped: 0, accounts: 1, schemes: { sha1: 3 }, batches: 2 });
    expect(typeof report.seconds).toBe('number');
    expect(opened).toEqual([{ dataDir: database.dataDir }]);
    expect(closed).toBe(1);
    expect(await run()).toContain('No legacy password hash was left to wrap.');
    expect(closed).toBe(2);
  });

  it('prints a summary for people', async () => {
    const output = await run();
    expect(output).toContain('Wrapped 3 legacy password hashes in argon2id across 1 account (sha1 3)');
    expect(output).toContain('Running again is safe.');
  });

  it('refuses a batch size out of range', async () => {
    await expect(run('--batch-size', '0')).rejects.toThrow(/whole number from 1 to 5000/);
    expect(opened).toEqual([]);
  });
});
