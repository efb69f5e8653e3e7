import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps, testKeyring } from '../../test/support/app.js';
import { openRuntime, runCli } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createTestStaff } from '../../test/support/staff-fixtures.js';
import { findStaffPrincipal, signInStaff } from '../modules/staff/staff.service.js';
import { totpCodeAt } from '../modules/staff/totp.js';
import { decryptSecretConfidential } from '../platform/crypto/envelope.service.js';
import { PLATFORM_ACCOUNT_ID, verifyAuditChains } from '../platform/audit/audit.service.js';
import { registerStaffCommand } from './staff.js';

describe.each(backends)('riposte staff create, list and disable on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli((program, output) => registerStaffCommand(program, openRuntime(deps), output), args);
    return stdout;
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

  it('disables a staff member: their sessions end at once, sign-in is refused, and it is audited', async () => {
    const sam = await createTestStaff(deps, 'sam@vendor.test', 'support');
    await createTestStaff(deps, 'olga@vendor.test', 'operator');
    const signedIn = await signInStaff(deps, {
      email: sam.email,
      password: sam.password,
      totp: await totpCodeAt(sam.totpSecret, deps.clock.now()),
    });
    expect(await findStaffPrincipal(deps, signedIn.token)).not.toBeNull();

    const listed = JSON.parse(await run('staff', 'list', '--json')) as {
      staff: Array<{ email: string; liveSessions: number; disabledAt: string | null }>;
    };
    expect(listed.staff.map((s) => [s.email, s.liveSessions, s.disabledAt])).toEqual([
      ['sam@vendor.test', 1, null],
      ['olga@vendor.test', 0, null],
    ]);

    expect(await run('staff', 'disable', 'Sam@Vendor.test')).toContain('Disabled staff member Sam@Vendor.test (staff id');
    expect(await findStaffPrincipal(deps, signedIn.token)).toBeNull();
    const revoked = await database.db.selectFrom('staff_sessions').select('revoked_at').where('staff_id', '=', sam.id).execute();
    expect(revoked.every((row) => row.revoked_at !== null)).toBe(true);
    deps.clock.advance(30_000);
    await expect(
      signInStaff(deps, { email: sam.email, password: sam.password, totp: await totpCodeAt(sam.totpSecret, deps.clock.now()) }),
    ).rejects.toMatchObject({ status: 401 });

    const text = await run('staff', 'list');
    expect(text).toMatch(/support\tsam@vendor\.test\tsam\tdisabled 2026-/);
    expect(text).toMatch(/operator\tolga@vendor\.test\tolga\tenabled, 0 live session\(s\)/);
    const audited = await database.db
      .selectFrom('audit_events')
      .select(['action', 'target_id', 'actor_type'])
      .where('account_id', '=', PLATFORM_ACCOUNT_ID)
      .where('action', '=', 'staff.disabled')
      .execute();
    expect(audited).toEqual([{ action: 'staff.disabled', target_id: String(sam.id), actor_type: 'cli' }]);
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
  });

  it('refuses to disable an unknown or already disabled staff member, saying which', async () => {
    await createTestStaff(deps, 'sam@vendor.test', 'support');
    await expect(run('staff', 'disable', 'nobody@vendor.test')).rejects.toThrow(/No staff member has the email nobody@vendor\.test/);
    await run('staff', 'disable', 'sam@vendor.test');
    await expect(run('staff', 'disable', 'sam@vendor.test')).rejects.toThrow(/already disabled/);
  });
});
