import { testKeyring } from '../../test/support/app.js';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingOpener, runCli, type CliOutput, type CountingOpener } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { FixedClock } from '../platform/clock.js';
import { registerDemoCommand } from './demo.js';
import { registerImportCommand, type PopulationRuntime } from './import.js';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/import');

describe.each(backends)('riposte import and demo on %s', (backend) => {
  let database: TestDatabase;
  let runtime: CountingOpener<{ dataDir: string | undefined }, PopulationRuntime>;
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    runtime = countingOpener(() => ({
      handle: database,
      clock: new FixedClock(),
      keyring: testKeyring(database),
      config: { baseDomain: 'example.test', port: 8080 },
    }));
  });
  afterEach(() => database.dispose());

  function run(...args: string[]): Promise<CliOutput> {
    return runCli(
      (program, output) => {
        registerImportCommand(program, runtime.open, output);
        registerDemoCommand(program, runtime.open, output);
      },
      args,
      { isTTY: false },
    );
  }

  it('import --json prints the summary on stdout, installations included', async () => {
    const { stdout, stderr } = await run('import', path.join(fixtures, 'valid'), '--json');
    expect(JSON.parse(stdout)).toMatchObject({
      accounts: { created: 4 },
      users: { created: 6 },
      passwords: { created: 5 },
      auditEvents: 4,
    });
    expect(JSON.parse(stdout)).toMatchObject({ installations: { created: 1 } });
    expect(stderr).not.toContain('notice:');
    expect(runtime.closed).toBe(1);
  });

  it('import refuses invalid files and still closes the runtime', async () => {
    await expect(run('import', path.join(fixtures, 'invalid'))).rejects.toMatchObject({ code: 'ImportInvalid' });
    expect(runtime.closed).toBe(1);
  });

  it('demo prints its users with the configured addresses', async () => {
    const { stdout } = await run('demo', '--accounts', '6', '--users', '60', '--seed', 'cli');
    expect(stdout).toContain('Demo population: 6 accounts and 60 users created');
    expect(stdout).toMatch(/http:\/\/acme\.example\.test:8080 {2}ana\.admin@acme\.test {2}\S+ {2}\(admin, realm core, stored as bcrypt\)/);
    await expect(run('demo', '--users', 'many')).rejects.toThrow();
  });
});
