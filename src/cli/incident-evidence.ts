import { Option, type Command } from 'commander';
import type { DatabaseHandle } from '../db/database.js';
import { AppError } from '../errors.js';
import { renderEvidenceHtml } from '../modules/incidents/evidence.html.js';
import { buildEvidence } from '../modules/incidents/evidence.service.js';
import { recordStaffWorkOnAccount } from '../modules/staff-access/staff-work.js';
import { dataDirOption, processOutput, usingRuntime, type CommandOutput, positiveWholeNumber } from './command-io.js';
import type { SignInEventLog } from '../platform/sign-in-events/sign-in-event-log.js';
import type { IncidentRuntime, OpenIncidentRuntime } from './incident-runtime.js';

type EvidenceRuntime = IncidentRuntime & { handle: DatabaseHandle; signInEvents: SignInEventLog };

/**
 * Adds `incident evidence ID --account SUB [--format json|html]` under the
 * `incident` command: the Article 33 facts for one account, as JSON (the
 * default; `--json` says the same) or as a printable HTML page, on stdout.
 *
 * @example
 * registerIncidentEvidenceCommand(incident, open);
 * // riposte incident evidence 1 --account acme --format html > acme-article-33.html
 */
export function registerIncidentEvidenceCommand(
  incident: Command,
  openRuntime: OpenIncidentRuntime,
  output: CommandOutput = processOutput,
): Command {
  return incident
    .command('evidence')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .requiredOption('--account <subdomain>', 'the account (the data controller) the evidence is for')
    .addOption(new Option('--format <format>', 'json or a printable html page').choices(['json', 'html']).default('json'))
    .option('--json', 'the same as --format json')
    .addOption(dataDirOption())
    .description(
      "the facts for an account's GDPR Art. 33 notification: nature, people and records, contacts, consequences, measures, timeline",
    )
    .action(async (id: number, options: { account: string; format: 'json' | 'html'; json?: boolean; dataDir?: string }) => {
      await usingRuntime(openRuntime, options, async (runtime) => {
        if (!('handle' in runtime) || !('signInEvents' in runtime))
          throw new AppError(
            'RuntimeIncomplete',
            'Evidence needs the database handle and sign-in events; open the runtime with openRuntime().',
          );
        const evidence = await buildEvidence(runtime as EvidenceRuntime, id, options.account);
        await recordStaffWorkOnAccount(runtime, { type: 'cli' }, options.account, {
          kind: 'read',
          what: 'incident.evidence',
          target: { type: 'incident', id },
        });
        const html = options.format === 'html' && options.json !== true;
        output.stdout.write(html ? renderEvidenceHtml(evidence) : `${JSON.stringify(evidence, null, 2)}\n`);
      });
    });
}
