import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import {
  campaignCompletion,
  cancelCampaign,
  createCampaign,
  getCampaign,
  pauseCampaign,
  requeueCampaign,
  resumeCampaign,
  startCampaign,
  type CampaignView,
} from '../modules/incidents/campaigns.service.js';
import type { JobQueue } from '../platform/jobs/jobs.js';
import {
  dataDirOption,
  processOutput,
  progressOnTerminal,
  usingRuntime,
  writersFor,
  type CommandOutput,
  positiveWholeNumber,
} from './command-io.js';
import type { IncidentRuntime, OpenIncidentRuntime } from './incident.js';

const CLI_ACTOR = { type: 'cli' as const };

type CampaignRuntime = IncidentRuntime & { jobs: JobQueue };

function readSelector(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('SelectorUnreadable', 422, `Cannot read the selector file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppError('InvalidSelector', 422, `The selector file ${file} is not JSON: ${(error as Error).message}`);
  }
}

function describeCampaign(campaign: CampaignView): string {
  const { done, total, rate, secondsLeft } = campaign.progress;
  const lines = [
    `Rotation campaign ${campaign.id} (incident ${campaign.incidentId}): ${campaign.state}`,
    `  cutoff: ${campaign.cutoff}; sessions ${campaign.revokeSessions ? 'revoked' : 'kept'}; ${campaign.batches} batches of up to ${campaign.batchSize}`,
    `  progress: ${done}/${total}${rate > 0 ? `, ${rate} users/s` : ''}${secondsLeft === null ? '' : `, about ${Math.ceil(secondsLeft)} s left`}`,
  ];
  if (campaign.state === 'cancelled') lines.push('  cancelled: users already flagged stay flagged; the others were left alone.');
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `incident campaign create|run|pause|resume|cancel|show` under the
 * `incident` command. Thin: parse, call the campaigns service, print.
 * The runtime must carry the job queue (`main.ts`'s `Runtime` does).
 *
 * @example
 * registerIncidentCampaignCommand(incident, ({ dataDir }) => openRuntime({ dataDir }));
 * // riposte incident campaign create 1 --selector rotation.json --json
 */
export function registerIncidentCampaignCommand(
  incident: Command,
  openRuntime: OpenIncidentRuntime,
  output: CommandOutput = processOutput,
): Command {
  const { write, json } = writersFor(output);
  async function withRuntime(options: { dataDir?: string }, work: (runtime: CampaignRuntime) => Promise<void>): Promise<void> {
    await usingRuntime(openRuntime, options, async (runtime) => {
      if (!('jobs' in runtime))
        throw new AppError('RuntimeIncomplete', 500, 'Rotation campaigns need the job queue; open the runtime with openRuntime().');
      await work(runtime as CampaignRuntime);
    });
  }

  const campaign = incident.command('campaign').description("an incident's forced password rotation campaigns");

  campaign
    .command('create')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .requiredOption('--selector <file>', 'JSON selector of the users who must change their password')
    .option('--no-revoke-sessions', 'keep the targets signed in (sessions are revoked by default)')
    .option('--batch-size <n>', 'targets per batch', positiveWholeNumber)
    .addOption(dataDirOption())
    .option('--json', 'print one JSON document instead of text')
    .description('draft a campaign and print its dry run: targets, and the exempted with their reason')
    .action(
      async (id: number, options: { selector: string; revokeSessions: boolean; batchSize?: number; json?: boolean; dataDir?: string }) => {
        const selector = readSelector(options.selector);
        await withRuntime(options, async (runtime) => {
          const draft = await createCampaign(runtime, {
            incidentId: id,
            selector,
            revokeSessions: options.revokeSessions,
            ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
            actor: CLI_ACTOR,
          });
          const { targets, exempt, byAccount, byRole, byRealm } = draft.dryRun;
          if (options.json === true) json({ id: draft.id, targets, exempt, by_account: byAccount, by_role: byRole, by_realm: byRealm });
          else
            write(
              `Drafted rotation campaign ${draft.id}: ${targets} users to rotate in ${byAccount.length} accounts.\n` +
                `  exempt: ${Object.entries(exempt)
                  .map(([reason, n]) => `${reason} ${n}`)
                  .join(', ')}\n  Run it with: riposte incident campaign run ${draft.id}\n`,
            );
        });
      },
    );

  campaign
    .command('run')
    .argument('<campaignId>', 'campaign id', positiveWholeNumber)
    .addOption(dataDirOption())
    .option('--json', 'print the final state as one JSON document')
    .description('start (or pick up after a crash) a campaign and run its batches here until it is done, paused or cancelled')
    .action(async (id: number, options: { json?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const current = await getCampaign(runtime, id);
        if (current.state === 'draft') await startCampaign(runtime, id, CLI_ACTOR);
        else if (current.state === 'running') await requeueCampaign(runtime, id);
        const progress = progressOnTerminal(output.stderr);
        const unsubscribe = runtime.jobs.onSettled(() => {
          void getCampaign(runtime, id).then(
            (view) => progress.update('rotating', view.progress.done, view.progress.total),
            () => undefined,
          );
        });
        await runtime.jobs.start();
        let view = await getCampaign(runtime, id);
        try {
          while (view.state === 'running') {
            await runtime.jobs.drain();
            view = await getCampaign(runtime, id);
            // A batch waiting for its retry is not due yet, so drain() returns before it runs.
            if (view.state === 'running') await new Promise((resolve) => setTimeout(resolve, 500));
          }
        } finally {
          unsubscribe();
          progress.stop();
        }
        const completion = await campaignCompletion(runtime, id);
        if (options.json === true) json({ ...view, completion: { flagged: completion.flagged, changed: completion.changed } });
        else write(describeCampaign(view));
      });
    });

  const verbs = [
    ['pause', 'stop after the batch in flight; resume later', pauseCampaign],
    ['resume', 'continue a paused campaign (then run it, or let the server run it)', resumeCampaign],
    ['cancel', 'stop for good; users already flagged stay flagged', cancelCampaign],
  ] as const;
  for (const [verb, description, change] of verbs) {
    campaign
      .command(verb)
      .argument('<campaignId>', 'campaign id', positiveWholeNumber)
      .addOption(dataDirOption())
      .option('--json', 'print one JSON document instead of text')
      .description(description)
      .action(async (id: number, options: { json?: boolean; dataDir?: string }) => {
        await withRuntime(options, async (runtime) => {
          const view = await change(runtime, id, CLI_ACTOR);
          if (options.json === true) json(view);
          else write(describeCampaign(view));
        });
      });
  }

  campaign
    .command('show')
    .argument('<campaignId>', 'campaign id', positiveWholeNumber)
    .addOption(dataDirOption())
    .option('--json', 'print one JSON document instead of text')
    .description('a campaign with its progress and completion (targets who have set a new password since), per account')
    .action(async (id: number, options: { json?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const view = await getCampaign(runtime, id);
        const completion = await campaignCompletion(runtime, id);
        if (options.json === true) json({ ...view, completion });
        else write(`${describeCampaign(view)}  completion: ${completion.changed}/${completion.flagged} have set a new password\n`);
      });
    });

  return campaign;
}
