import type { Command } from 'commander';
import { findAccountBySubdomain } from '../modules/accounts/accounts.repo.js';
import { eraseUsersByEmail } from '../modules/erasure/user-erasure.service.js';
import { dataDirOption, processOutput, usingRuntime, type CommandOutput } from './command-io.js';
import type { OpenRetentionRuntime } from './retention.js';
import { cliError } from './runtime-options.js';

/** `riposte users erase --account SUBDOMAIN --email EMAIL [--json]`: a data subject's erasure request. */
export function registerUsersCommand(program: Command, openRuntime: OpenRetentionRuntime, output: CommandOutput = processOutput): Command {
  const users = program.command('users').description("an account's users");
  users
    .command('erase')
    .description('delete, then permanently delete, every user of the account with this address (README, "Erasure")')
    .requiredOption('--account <subdomain>', 'the account')
    .requiredOption('--email <email>', 'the address of the person to erase')
    .option('--json', 'print one JSON document')
    .addOption(dataDirOption())
    .action(async (options: { account: string; email: string; json?: boolean; dataDir?: string }) => {
      await usingRuntime(openRuntime, options, async (runtime) => {
        const account = await findAccountBySubdomain(runtime.db, options.account);
        if (account === undefined) throw cliError(`No account has the subdomain "${options.account}".`);
        const erased = await eraseUsersByEmail(runtime, account, options.email, { type: 'cli' });
        const ids = erased.map((row) => ({ id: Number(row.id), realm: row.realm, erased_at: row.erased_at }));
        if (options.json === true) output.stdout.write(`${JSON.stringify({ erased: ids }, null, 2)}\n`);
        else if (ids.length === 0)
          output.stdout.write(`No user of ${account.subdomain} has that address (nothing to erase, or already erased).\n`);
        else
          output.stdout.write(
            `Erased ${ids.length} user(s) of ${account.subdomain}: ${ids.map((row) => `${row.id} (${row.realm})`).join(', ')}.\n`,
          );
      });
    });
  return users;
}
