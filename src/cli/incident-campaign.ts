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
} from '../modules/incidents/campaigns.service.js';
import { scheduleCampaign, startCampaign } from '../modules/incidents/campaign-start.service.js';
import type { CampaignView } from '../modules/incidents/campaign-view.js';
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
import type { IncidentRuntime, OpenIncidentRuntime } from './incident-runtime.js';

const CLI_ACTOR = { type: 'cli' as const };

type CampaignRuntime = IncidentRuntime & { jobs: JobQueue };

function readSelector(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('SelectorUnreadable', `Cannot read the selector file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppError('InvalidSelector', `The selector file ${file} is not JSON: ${(error as Error).message}`);
  }
}

function describeCampaign(campaign: CampaignView): string {
  const { done, total, rate, secondsLeft } = campaign.progress;
  const lines = [
    `Rotation campaign ${campaign.id} (incident ${campaign.incidentId}): ${campaign.state}`,
    `  cutoff: ${campaign.cutoff}; sessions ${campaign.revokeSessions ? 'revoked' : 'kept'}; ${campaign.batches} batches of up to ${campaign.batchSize}`,
    `  progress: ${done}/${total}${rate > 0 ? `, ${rate} users/s` : ''}${secondsLeft === null ? '' : `, about ${Math.ceil(secondsLeft)} s left`}`,
  ];
  const tiers = campaign.targetsByTier;
  lines.push(
    `  order: ${campaign.order}${tiers === null ? '' : `; targets by hash tier: critical ${tiers.critical}, high ${tiers.high}, moderate ${tiers.moderate}`}`,
  );
  if (campaign.revokeApiPasswords !== 'none')
    lines.push(
      `  email:password API access revoked at start for ${campaign.revokeApiPasswords.replace(/_/g, ' ')} targets: ${campaign.apiPasswordsRevoked ?? 'not started yet'}`,
    );
  if (campaign.state === 'scheduled' && campaign.startAt !== null)
    lines.push(`  scheduled: starts by itself at ${campaign.startAt} (the server runs it); its targets were told in advance.`);
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
        throw new AppError('RuntimeIncomplete', 'Rotation campaigns need the job queue; open the runtime with openRuntime().');
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
    .option('--start-at <iso>', 'schedule it: freeze and tell its targets now, start by itself at this time (ISO 8601, in the future)')
    .option('--order <order>', 'by_account, or weakest_first: critical hash tier batches first, then high, then moderate', 'by_account')
    .option(
      '--revoke-api-passwords <tiers>',
      'at start, revoke email:password API access of the critical (or critical_and_high) targets until they set a new password',
      'none',
    )
    .addOption(dataDirOption())
    .option('--json', 'print one JSON document instead of text')
    .description('draft a campaign and print its dry run: targets, and the exempted with their reason')
    .action(
      async (
        id: number,
        options: {
          selector: string;
          revokeSessions: boolean;
          batchSize?: number;
          startAt?: string;
          order: string;
          revokeApiPasswords: string;
          json?: boolean;
          dataDir?: string;
        },
      ) => {
        const selector = readSelector(options.selector);
        await withRuntime(options, async (runtime) => {
          const draft = await createCampaign(runtime, {
            incidentId: id,
            selector,
            revokeSessions: options.revokeSessions,
            ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
            ...(options.startAt === undefined ? {} : { startAt: options.startAt }),
            order: options.order,
            revokeApiPasswords: options.revokeApiPasswords,
            actor: CLI_ACTOR,
          });
          const { targets, byTier, exempt, byAccount, byRole, byRealm } = draft.dryRun;
          if (options.json === true)
            json({
              id: draft.id,
              state: draft.state,
              start_at: draft.startAt,
              order: draft.order,
              revoke_api_passwords: draft.revokeApiPasswords,
              targets,
              by_tier: byTier,
              exempt,
              by_account: byAccount,
              by_role: byRole,
              by_realm: byRealm,
            });
          else {
            const next =
              draft.startAt === null
                ? `Run it with: riposte incident campaign run ${draft.id}`
                : `Scheduled: ${draft.progress.total} targets are being told now; it starts by itself at ${draft.startAt} (keep riposte serve running).`;
            write(
              `Drafted rotation campaign ${draft.id}: ${targets} users to rotate in ${byAccount.length} accounts (${draft.order}).\n` +
                `  by hash tier: critical ${byTier.critical}, high ${byTier.high}, moderate ${byTier.moderate}\n` +
                `  exempt: ${Object.entries(exempt)
                  .map(([reason, n]) => `${reason} ${n}`)
                  .join(', ')}\n  ${next}\n`,
            );
          }
        });
      },
    );

  campaign
    .command('schedule')
    .argument('<campaignId>', 'campaign id', positiveWholeNumber)
    .requiredOption('--start-at <iso>', 'when it starts by itself (ISO 8601, in the future)')
    .addOption(dataDirOption())
    .option('--json', 'print one JSON document instead of text')
    .description('schedule a draft: freeze its targets and tell them now, start it by itself at --start-at')
    .action(async (id: number, options: { startAt: string; json?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const view = await scheduleCampaign(runtime, id, options.startAt, CLI_ACTOR);
        if (options.json === true) json(view);
        else write(describeCampaign(view));
      });
    });

  campaign
    .command('run')
    .argument('<campaignId>', 'campaign id', positiveWholeNumber)
    .addOption(dataDirOption())
    .option('--json', 'print the final state as one JSON document')
    .option('--now', 'start a scheduled campaign before its announced time')
    .description('start (or pick up after a crash) a campaign and run its batches here until it is done, paused or cancelled')
    .action(async (id: number, options: { json?: boolean; now?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const current = await getCampaign(runtime, id);
        if (current.state === 'scheduled' && options.now !== true && Date.parse(current.startAt ?? '') > runtime.clock.now().getTime())
          throw new AppError(
            'CampaignNotDue',
            `Rotation campaign ${id} is announced to start at ${current.startAt ?? ''}; the server starts it then. To start it before, add --now.`,
          );
        if (current.state === 'draft' || current.state === 'scheduled') await startCampaign(runtime, id, CLI_ACTOR);
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
        if (options.json === true)
          json({
            ...view,
            completion: {
              flagged: completion.flagged,
              changed: completion.changed,
              changedBeforeRotation: completion.changedBeforeRotation,
            },
          });
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
        else
          write(
            `${describeCampaign(view)}  completion: ${completion.changed}/${completion.flagged} have set a new password; ${completion.changedBeforeRotation} changed it before rotation and were left alone\n`,
          );
      });
    });

  return campaign;
}
