import type { Command } from 'commander';
import { accountLifecycle, changeAccountLifecycle, type AccountLifecycle } from '../modules/accounts/account-lifecycle.service.js';
import { dataDirOption, processOutput, usingRuntime, type CommandOutput } from './command-io.js';
import type { OpenRetentionRuntime } from './retention.js';

function describe(account: AccountLifecycle): string {
  return [
    `${account.subdomain} (${account.name}, account ${account.id})`,
    `  status:       ${account.status}`,
    `  activated_at: ${account.activated_at ?? '—'}`,
    `  products:     ${account.products.join(', ')}`,
    `  created_at:   ${account.created_at}`,
    `  updated_at:   ${account.updated_at}`,
    '',
  ].join('\n');
}

/**
 * `riposte accounts show SUBDOMAIN` and `riposte accounts set SUBDOMAIN
 * [--status S] [--activated-at ISO] [--products a,b]`: an account's standing
 * with the vendor (README, "Account lifecycle"). A change is audited on the
 * account's chain, by the command line.
 */
export function registerAccountsCommand(
  program: Command,
  openRuntime: OpenRetentionRuntime,
  output: CommandOutput = processOutput,
): Command {
  const accounts = program.command('accounts').description("an account's status, activation date and products");
  accounts
    .command('show')
    .description('print the account’s status, activation date and products')
    .argument('<subdomain>', 'the account')
    .option('--json', 'print one JSON document')
    .addOption(dataDirOption())
    .action(async (subdomain: string, options: { json?: boolean; dataDir?: string }) => {
      await usingRuntime(openRuntime, options, async (runtime) => {
        const account = await accountLifecycle(runtime, subdomain);
        output.stdout.write(options.json === true ? `${JSON.stringify({ account }, null, 2)}\n` : describe(account));
      });
    });
  accounts
    .command('set')
    .description('change the account’s status (trial, active, trial_expired, inactive), activation date or products')
    .argument('<subdomain>', 'the account')
    .option('--status <status>', 'trial, active, trial_expired or inactive')
    .option('--activated-at <time>', 'when the account was activated (ISO-8601 with its zone); active without one: now')
    .option('--products <list>', 'every product the account has, comma-separated (support,chat,guide,...)')
    .option('--json', 'print one JSON document')
    .addOption(dataDirOption())
    .action(
      async (
        subdomain: string,
        options: { status?: string; activatedAt?: string; products?: string; json?: boolean; dataDir?: string },
      ) => {
        await usingRuntime(openRuntime, options, async (runtime) => {
          const account = await changeAccountLifecycle(
            runtime,
            subdomain,
            {
              ...(options.status === undefined ? {} : { status: options.status }),
              ...(options.activatedAt === undefined ? {} : { activated_at: options.activatedAt }),
              ...(options.products === undefined
                ? {}
                : {
                    products: options.products
                      .split(',')
                      .map((product) => product.trim())
                      .filter((product) => product !== ''),
                  }),
            },
            { type: 'cli' },
          );
          output.stdout.write(options.json === true ? `${JSON.stringify({ account }, null, 2)}\n` : describe(account));
        });
      },
    );
  return accounts;
}
