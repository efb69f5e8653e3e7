import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps } from '../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { signInStaff } from '../modules/staff/staff.service.js';
import { totpCodeAt } from '../modules/staff/totp.js';
import { decryptSecretConfidential } from '../platform/crypto/envelope.service.js';
import { PLATFORM_ACCOUNT_ID } from '../platform/audit/audit.service.js';
import { registerStaffCommand } from './staff.js';

describe.each(backends)('riposte staff on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerStaffCommand(program, () => Promise.resolve({ ...deps, close: () => Promise.resolve() }), {
      stdout,
      stderr: new PassThrough(),
    });
    await program.parseAsync(['node', 'riposte', ...args]);
    return Buffer.concat(chunks).toString('utf8');
  }

  it('creates a staff member, printing the password and TOTP secret once; both sign in', async () => {
    const text = await run('staff', 'create', '--email', 'ana@vendor.test', '--name', 'Ana', '--role', 'operator');
    const password = /Password \(shown once\): (\S+)/.exec(text)?.[1] ?? '';
    const secret = /TOTP secret \(base32, shown once\): ([A-Z2-7]+)/.exec(text)?.[1] ?? '';
    expect(text).toMatch(/Authenticator URI: otpauth:\/\/totp\/Riposte:ana%40vendor\.test\?secret=/);

    const row = await database.db.selectFrom('staff_users').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: 'ana@vendor.test', name: 'Ana', role: 'operator', disabled_at: null });
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.totp_secret_sealed).not.toContain(secret);
    const location = { accountId: PLATFORM_ACCOUNT_ID, table: 'staff_users', column: 'totp_secret', rowId: Number(row.id) };
    expect(await decryptSecretConfidential(database.db, deps.keyring, { ...location, sealed: row.totp_secret_sealed })).toBe(secret);

    const signedIn = await signInStaff(deps, { email: 'ana@vendor.test', password, totp: await totpCodeAt(secret, deps.clock.now()) });
    expect(signedIn.staff).toMatchObject({ email: 'ana@vendor.test', role: 'operator' });
  });

  it('prints JSON with --json, and refuses an unknown role and a duplicate email', async () => {
    const created = JSON.parse(
      await run('staff', 'create', '--email', 'sam@vendor.test', '--name', 'Sam', '--role', 'support', '--json'),
    ) as {
      role: string;
      totpSecret: string;
    };
    expect(created).toMatchObject({ role: 'support', totpSecret: expect.stringMatching(/^[A-Z2-7]+$/) as unknown });
    await expect(run('staff', 'create', '--email', 'x@vendor.test', '--name', 'X', '--role', 'admin')).rejects.toThrow(/choices/);
    await expect(run('staff', 'create', '--email', 'SAM@vendor.test', '--name', 'Sam', '--role', 'support')).rejects.toThrow(
      /already exists/,
    );
  });
});
