import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { notifyIncident, type NotifyOutcome } from '../modules/notices/incident-notices.service.js';
import {
  failedNotices,
  notificationTotals,
  type FailedNotice,
  type NotificationTotals,
} from '../modules/notices/notification-report.service.js';
import { nextOutboxWakeUp } from '../modules/courier/outbox.repo.js';
import type { ServiceDeps } from '../platform/service-deps.js';
import {
  dataDirOption,
  processOutput,
  progressOnTerminal,
  usingRuntime,
  type CommandOutput,
  type Progress,
  positiveWholeNumber,
  wholeNumberFrom,
} from './command-io.js';
import type { IncidentRuntime, OpenIncidentRuntime } from './incident.js';

const CLI_ACTOR = { type: 'cli' as const };
/** The CLI waits for a retry due this soon; later ones are left to `riposte serve`. */
const DEFAULT_WAIT_SECONDS = 120;

type NotifyRuntime = IncidentRuntime & ServiceDeps;

const parseSeconds = wholeNumberFrom(0, 999_999);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the courier in this process until the incident has nothing pending,
 * or only retries due later than `waitSeconds` from now (those go out with
 * `riposte serve`, or the next `incident notify`).
 */
async function deliver(runtime: NotifyRuntime, incidentId: number, waitSeconds: number, progress: Progress): Promise<NotificationTotals> {
  let report = await notificationTotals(runtime, incidentId);
  const show = (totals: NotificationTotals) =>
    progress.update('delivering', totals.totals.sent + totals.totals.failed, totals.totals.total);
  show(report);
  await runtime.jobs.start();
  const ticker = setInterval(() => {
    void notificationTotals(runtime, incidentId).then(show, () => undefined);
  }, 500);
  try {
    for (;;) {
      await runtime.jobs.drain();
      report = await notificationTotals(runtime, incidentId);
      show(report);
      if (report.totals.pending === 0) return report;
      const wake = await nextOutboxWakeUp(runtime.db);
      const waitMs = wake === null ? 0 : Date.parse(wake) - runtime.clock.now().getTime();
      if (wake === null || waitMs > waitSeconds * 1000) return report;
      await sleep(Math.max(200, Math.min(waitMs, 5_000)));
    }
  } finally {
    clearInterval(ticker);
  }
}

function describe(outcome: NotifyOutcome, report: NotificationTotals, failed: FailedNotice[]): string {
  const { sent, pending, failed: failedCount } = report.totals;
  const lines = [
    `Incident ${outcome.incidentId}: notices for ${outcome.accounts} affected accounts (scope version ${outcome.scopeVersion}): ${outcome.customers.queued} queued now, ${outcome.customers.alreadyQueued} queued before.`,
  ];
  if (outcome.users !== null)
    lines.push(`  user notices: ${outcome.users.queued} queued now, ${outcome.users.alreadyQueued} queued before.`);
  if (outcome.requeued !== null) lines.push(`  failed notices queued again: ${outcome.requeued}.`);
  lines.push(`Delivery: ${sent} sent, ${pending} pending, ${failedCount} failed.`);
  if (pending > 0) lines.push('  Pending messages are retried with growing delays by `riposte serve` (or the next `incident notify`).');
  if (failed.length > 0) {
    lines.push('Failed (once the cause is fixed, `--retry-failed` sends them again):');
    for (const notice of failed)
      lines.push(
        `  account ${notice.accountId} ${notice.recipient} (${notice.purpose}, ${notice.attempts} attempts): ${notice.error ?? ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `incident notify ID [--users] [--retry-failed] [--json]`: queues the tailored notices
 * (and with `--users` the users' wave), then runs the courier here with a
 * progress bar until they are delivered, and prints the report. Running it
 * again queues nothing twice and delivers what is still pending.
 *
 * @example
 * registerIncidentNotifyCommand(incident, ({ dataDir }) => openRuntime({ dataDir }));
 * // riposte incident notify 1 --users --json
 */
export function registerIncidentNotifyCommand(
  incident: Command,
  openRuntime: OpenIncidentRuntime,
  output: CommandOutput = processOutput,
): Command {
  return incident
    .command('notify')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .option('--users', 'also notify each user a rotation campaign of the incident targets')
    .option('--retry-failed', 'first queue the failed notices again, with the same Message-ID (after fixing the cause)')
    .option('--wait <seconds>', 'wait for retries due within this many seconds', parseSeconds, DEFAULT_WAIT_SECONDS)
    .addOption(dataDirOption())
    .option('--json', 'print one JSON document instead of text')
    .description(
      'email each affected account a notice tailored to it (owner, admins, security contact; in its language), optionally each rotated user; then deliver and report',
    )
    .action(async (id: number, options: { users?: boolean; retryFailed?: boolean; wait: number; json?: boolean; dataDir?: string }) => {
      await usingRuntime(openRuntime, options, async (opened) => {
        if (!('jobs' in opened) || !('keyring' in opened))
          throw new AppError('RuntimeIncomplete', 'incident notify needs the job queue and keyring; open the runtime with openRuntime().');
        const runtime = opened as NotifyRuntime;
        const progress = progressOnTerminal(output.stderr);
        let outcome: NotifyOutcome;
        let report: NotificationTotals;
        try {
          outcome = await notifyIncident(runtime, {
            incidentId: id,
            users: options.users === true,
            retryFailed: options.retryFailed === true,
            actor: CLI_ACTOR,
            onProgress: ({ wave, done, total }) =>
              progress.update(wave === 'customers' ? 'queueing notices' : 'queueing user notices', done, total ?? done),
          });
          report = await deliver(runtime, id, options.wait, progress);
        } finally {
          progress.stop();
        }
        const failed = await failedNotices(runtime, id);
        if (options.json === true) output.stdout.write(`${JSON.stringify({ notification: outcome, report, failed }, null, 2)}\n`);
        else output.stdout.write(describe(outcome, report, failed));
      });
    });
}
