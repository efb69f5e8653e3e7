import type { Command } from 'commander';
import { operatorAuditLogCsv } from '../modules/staff-access/operator-audit-logs.service.js';
import type { Keyring } from '../platform/crypto/keyring.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../db/database.js';
import { dataDirOption, processOutput, usingRuntime, type CommandOutput } from './command-io.js';
import { cliError } from './runtime-options.js';

/** What `audit export` needs from the process (`main.ts`'s `Runtime` fits); tests hand in their own. */
export interface AuditExportRuntime {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  close(): Promise<void>;
}

interface ExportOptions {
  account: string;
  since?: string;
  dataDir?: string;
}

/**
 * `riposte audit export --account SUBDOMAIN [--since ISO] > file.csv`: the
 * account's audit trail as CSV on stdout, oldest first. The export is itself
 * a `staff.read` on the account's chain (actor `cli`), which its admins see.
 */
export function registerAuditExportCommand(
  audit: Command,
  openRuntime: (flags: { dataDir?: string }) => Promise<AuditExportRuntime>,
  output: CommandOutput = processOutput,
): Command {
  return audit
    .command('export')
    .description("write an account's audit trail as CSV to stdout (recorded on that account's trail)")
    .requiredOption('--account <subdomain>', 'the account')
    .option('--since <iso>', 'only events at or after this time, e.g. 2026-01-01T00:00:00Z')
    .addOption(dataDirOption())
    .action(async (options: ExportOptions) => {
      const since = options.since;
      if (since !== undefined && (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(Date.parse(since))))
        throw cliError(`--since expects an ISO 8601 time such as 2026-01-01T00:00:00Z, not "${since}".`);
      await usingRuntime(openRuntime, options, async (runtime) => {
        const range = since === undefined ? {} : { 'filter[created_at][]': [since, '9999-12-31T23:59:59.999Z'] };
        const exported = await operatorAuditLogCsv(runtime, { type: 'cli' }, options.account, { ...range, sort: 'created_at' });
        for await (const line of exported.lines) {
          if (!output.stdout.write(line)) await new Promise((resolve) => output.stdout.once('drain', resolve));
        }
      });
    });
}
