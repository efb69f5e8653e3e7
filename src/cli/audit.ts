import type { Command } from 'commander';
import { openRuntime } from '../main.js';
import { findAccountBySubdomain } from '../modules/accounts/accounts.repo.js';
import { verifyAuditChains } from '../platform/audit/audit.service.js';
import { registerAuditExportCommand } from './audit-export.js';
import { cliError, printJson, withDataDir, withRuntime } from './runtime-options.js';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the append-only audit trail');
  withDataDir(audit.command('verify'))
    .description('walk every hash chain and report the first broken link; exits 1 when one is broken')
    .option('--account <subdomain>', 'verify one account only')
    .option('--json', 'print one JSON document')
    .action(async (options: { dataDir?: string; account?: string; json?: boolean }) => {
      await withRuntime(options, async ({ db, keyring }) => {
        let accountId: number | undefined;
        if (options.account !== undefined) {
          const account = await findAccountBySubdomain(db, options.account);
          if (account === undefined) throw cliError(`No account has the subdomain "${options.account}".`);
          accountId = account.id;
        }
        const report = await verifyAuditChains(db, keyring, accountId);
        if (options.json === true) printJson(report);
        else if (report.ok) process.stdout.write(`audit chains intact: ${report.accounts} chain(s), ${report.events} event(s)\n`);
        else
          process.stdout.write(
            `audit chain BROKEN at account ${report.firstBroken?.accountId}, event ${report.firstBroken?.seq}: ${report.firstBroken?.reason}\n`,
          );
        if (!report.ok) process.exitCode = 1;
      });
    });
  registerAuditExportCommand(audit, ({ dataDir }) => openRuntime({ dataDir }));
}
