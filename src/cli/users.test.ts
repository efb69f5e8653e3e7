import { afterEach, describe, expect, it } from 'vitest';
import { testDeps, testKeyring } from '../../test/support/app.js';
import { openRuntime, runCli } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertAccount } from '../../test/support/fixtures.js';
import { insertUser } from '../../test/support/identity-fixtures.js';
import { findText } from '../../test/support/text-scan.js';
import { recordAudit, verifyAuditChains } from '../platform/audit/audit.service.js';
import { registerUsersCommand } from './users.js';

describe.each(backends)('riposte users erase on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  afterEach(() => database.dispose());

  it('erases every user with the address, and a second time finds nothing to do', async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    const acme = await insertAccount(database.db, 'acme');
    const ana = await insertUser(database.db, acme, 'ana.cli@acme.test', { name: 'Ana Clidottir', phone: '+1 555 0100' });
    await recordAudit(database.db, deps, {
      accountId: acme.id,
      actor: { type: 'cli' },
      action: 'user.created',
      target: { type: 'user', id: ana.id },
      personal: { userId: ana.id, values: { email: ana.email, name: ana.name, phone: ana.phone } },
    });
    const run = async (...args: string[]): Promise<string> => {
      const { stdout } = await runCli((program, output) => registerUsersCommand(program, openRuntime(deps), output), args);
      return stdout;
    };
    const first = JSON.parse(await run('users', 'erase', '--account', 'acme', '--email', 'Ana.Cli@acme.test', '--json')) as {
      erased: Array<{ id: number; realm: string }>;
    };
    expect(first.erased).toMatchObject([{ id: ana.id, realm: 'core' }]);
    expect(await findText(database.db, backend, ['ana.cli@acme.test', 'Ana Clidottir', '+1 555 0100'])).toEqual([]);
    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true });
    expect(await run('users', 'erase', '--account', 'acme', '--email', 'ana.cli@acme.test')).toContain('nothing to erase');
    await expect(run('users', 'erase', '--account', 'nope', '--email', 'ana.cli@acme.test')).rejects.toThrow(
      'No account has the subdomain "nope"',
    );
  });
});
