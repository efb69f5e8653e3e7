import type { Command } from 'commander';
import { DEMO_DEFAULTS, describeNamedUsers, runDemo } from '../modules/population/demo.service.js';
import type { OpenPopulationRuntime } from './import.js';
import { dataDirOption, positiveWholeNumber, processOutput, progressOnTerminal, type CommandOutput } from './command-io.js';

/**
 * `riposte demo [--accounts N --users N --seed S] [--json]`: a deterministic
 * synthetic population written through the import's path; prints the demo
 * users who can sign in, with their passwords.
 */
export function registerDemoCommand(program: Command, open: OpenPopulationRuntime, output: CommandOutput = processOutput): void {
  program
    .command('demo')
    .addOption(dataDirOption())
    .description('create a deterministic synthetic tenant population (the same seed gives the same population)')
    .option('--accounts <n>', 'number of accounts', positiveWholeNumber, DEMO_DEFAULTS.accounts)
    .option('--users <n>', 'number of users in all, spread across the accounts', positiveWholeNumber, DEMO_DEFAULTS.users)
    .option('--seed <seed>', 'seed of the generator', DEMO_DEFAULTS.seed)
    .option('--json', 'print one JSON document (summary and demo users) on stdout')
    .action(async (options: { dataDir?: string; accounts: number; users: number; seed: string; json?: boolean }) => {
      const runtime = await open({ dataDir: options.dataDir });
      const progress = progressOnTerminal(output.stderr);
      try {
        const result = await runDemo(runtime.handle, {
          accounts: options.accounts,
          users: options.users,
          seed: options.seed,
          clock: runtime.clock,
          keyring: runtime.keyring,
          onProgress: (done, total) => progress.update('Writing users', done, total),
        });
        progress.stop();
        if (options.json === true) {
          output.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        } else {
          const { baseDomain, port } = runtime.config ?? { baseDomain: 'localhost', port: 3000 };
          output.stdout.write(`${describeNamedUsers(result, (subdomain) => `http://${subdomain}.${baseDomain}:${port}`).join('\n')}\n`);
        }
      } finally {
        progress.stop();
        await runtime.close();
      }
    });
}
