import type { Command } from 'commander';
import { RETENTION_KINDS } from '../modules/retention/retention.policy.js';
import { runRetention, type RetentionReport } from '../modules/retention/retention.service.js';
import type { ServiceDeps } from '../platform/service-deps.js';
import { dataDirOption, processOutput, usingRuntime, type CommandOutput } from './command-io.js';

/** What `retention run` needs: the services, and a way to release them. */
export type RetentionRuntime = ServiceDeps & { close(): Promise<void> };
export type OpenRetentionRuntime = (flags: { dataDir: string | undefined }) => Promise<RetentionRuntime>;

function summary(report: RetentionReport): string {
  const verb = report.dry_run ? 'would remove' : 'removed';
  const lines = RETENTION_KINDS.map((kind) => {
    const { days, before, removed } = report.kinds[kind];
    return `  ${kind.padEnd(24)} ${String(removed).padStart(9)}  (older than ${days} day(s): before ${before})`;
  });
  return `retention ${verb}:\n${lines.join('\n')}\n`;
}

/** `riposte retention run [--dry-run] [--json]`: the periods come from the configuration (README, "Retention"). */
export function registerRetentionCommand(
  program: Command,
  openRuntime: OpenRetentionRuntime,
  output: CommandOutput = processOutput,
): Command {
  const retention = program.command('retention').description('remove data past its retention period (README, "Retention")');
  retention
    .command('run')
    .description('apply every retention period now, in batches; reports the rows removed per kind')
    .option('--dry-run', 'count what would be removed, remove nothing')
    .option('--json', 'print one JSON document')
    .addOption(dataDirOption())
    .action(async (options: { dataDir?: string; dryRun?: boolean; json?: boolean }) => {
      await usingRuntime(openRuntime, options, async (runtime) => {
        const report = await runRetention(runtime, { dryRun: options.dryRun === true });
        output.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
      });
    });
  return retention;
}
