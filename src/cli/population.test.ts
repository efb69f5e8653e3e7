import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { FixedClock } from '../platform/clock.js';
import { registerDemoCommand } from './demo.js';
import { registerImportCommand, type OpenPopulationRuntime } from './import.js';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/import');

describe.each(backends)('riposte import and demo on %s', (backend) => {
  let database: TestDatabase;
  let closed: number;
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    closed = 0;
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const open: OpenPopulationRuntime = () =>
      Promise.resolve({
        handle: database,
        clock: new FixedClock(),
        config: { baseDomain: 'example.test', port: 8080 },
        close: () => {
          closed += 1;
          return Promise.resolve();
        },
      });
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerImportCommand(program, open, { stdout, stderr });
    registerDemoCommand(program, open, { stdout, stderr });
    await program.parseAsync(args, { from: 'user' });
    return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  it('import --json prints the summary on stdout and the notices on stderr', async () => {
    const { stdout, stderr } = await run('import', path.join(fixtures, 'valid'), '--json');
    expect(JSON.parse(stdout)).toMatchObject({
      accounts: { created: 4 },
      users: { created: 6 },
      passwords: { created: 5 },
      auditEvents: 4,
    });
    expect(stderr).toContain('notice: installations.jsonl was found');
    expect(closed).toBe(1);
  });

  it('import refuses invalid files and still closes the runtime', async () => {
    await expect(run('import', path.join(fixtures, 'invalid'))).rejects.toMatchObject({ code: 'ImportInvalid' });
    expect(closed).toBe(1);
  });

  it('demo prints its users with the configured addresses', async () => {
    const { stdout } = await run('demo', '--accounts', '6', '--users', '60', '--seed', 'cli');
    expect(stdout).toContain('Demo population: 6 accounts and 60 users created');
    expect(stdout).toMatch(/http:\/\/acme\.example\.test:8080 {2}ana\.admin@acme\.test {2}\S+ {2}\(admin, realm core, stored as bcrypt\)/);
    await expect(run('demo', '--users', 'many')).rejects.toThrow();
  });
});
