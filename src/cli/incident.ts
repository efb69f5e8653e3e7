import type { Command } from 'commander';
import type { IncidentDetails, IncidentSummary, IncidentTask } from '../modules/incidents/incident.model.js';
import {
  addTask,
  completeTask,
  declareIncident,
  getIncident,
  listIncidents,
  transitionIncident,
} from '../modules/incidents/incidents.service.js';
import { dataDirOption, processOutput, usingRuntime, writersFor, type CommandOutput, positiveWholeNumber } from './command-io.js';
import { registerIncidentScopeCommands } from './incident-scope.js';
import { registerIncidentCampaignCommand } from './incident-campaign.js';
import { registerIncidentEvidenceCommand } from './incident-evidence.js';

import type { IncidentRuntime, OpenIncidentRuntime } from './incident-runtime.js';

export type { IncidentRuntime, OpenIncidentRuntime };

const CLI_ACTOR = { type: 'cli' as const };

function describeTask(task: IncidentTask): string {
  const status =
    task.doneAt !== null ? `done ${task.doneAt}` : task.overdue ? `OVERDUE since ${task.dueAt}` : `due ${task.dueAt ?? 'any time'}`;
  return `  [${task.id}] ${task.title}${task.owner === null ? '' : ` (${task.owner})`}: ${status}${task.public ? ' (public)' : ''}\n`;
}

function describeIncident(incident: IncidentDetails): string {
  const lines = [
    `Incident ${incident.id}: ${incident.title}`,
    `  state: ${incident.state}${incident.allowedNextStates.length === 0 ? '' : ` (next: ${incident.allowedNextStates.join(', ')})`}`,
    `  became aware: ${incident.becameAwareAt}`,
  ];
  if (incident.cutoff !== null) lines.push(`  cutoff: ${incident.cutoff}`);
  if (incident.exposureWindow !== null)
    lines.push(`  exposure: ${incident.exposureWindow.startsAt} to ${incident.exposureWindow.endsAt ?? 'unknown'}`);
  if (incident.closedAt !== null) lines.push(`  closed: ${incident.closedAt}`);
  lines.push('Timeline:', ...incident.timeline.map((event) => `  ${event.occurredAt} ${event.kind} (${event.actor}): ${event.summary}`));
  return `${lines.join('\n')}\nTasks:\n${incident.tasks.map(describeTask).join('')}`;
}

const describeSummary = (incident: IncidentSummary): string =>
  `${incident.id}\t${incident.state}\t${incident.becameAwareAt}\t${incident.title}\n`;

/**
 * Adds `riposte incident create|show|list|transition` and `incident task add|done`,
 * each with `--json` and `--data-dir`. Thin: parse, call the incidents service, print.
 *
 * @example
 * registerIncidentCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
 * await program.parseAsync(['node', 'riposte', 'incident', 'create', '--title', 'Breach', '--became-aware-at', '2026-05-30T09:00:00Z', '--json']);
 */
export function registerIncidentCommand(
  program: Command,
  openRuntime: OpenIncidentRuntime,
  output: CommandOutput = processOutput,
): Command {
  const { write, json } = writersFor(output);
  const withIncidentRuntime = (options: { dataDir?: string }, work: (runtime: IncidentRuntime) => Promise<void>): Promise<void> =>
    usingRuntime(openRuntime, options, work);

  const incident = program.command('incident').description('declare and drive breach incidents (platform-wide)');

  incident
    .command('create')
    .addOption(dataDirOption())
    .description(
      'declare an incident; adds the task to decide on notifying the supervisory authority, due 72 hours after --became-aware-at',
    )
    .requiredOption('--title <text>', 'what happened, in a line')
    .requiredOption('--became-aware-at <iso>', 'when you became aware of the breach (ISO-8601 with a zone)')
    .option('--cutoff <iso>', 'data older than this counts as exposed')
    .option('--json', 'print one JSON document instead of text')
    .action(async (options: { title: string; becameAwareAt: string; cutoff?: string; json?: boolean; dataDir?: string }) => {
      await withIncidentRuntime(options, async (runtime) => {
        const created = await declareIncident(runtime, {
          title: options.title,
          becameAwareAt: options.becameAwareAt,
          cutoff: options.cutoff ?? null,
          actor: CLI_ACTOR,
        });
        if (options.json === true) json({ id: created.id });
        else write(`Declared incident ${created.id}.\n${describeIncident(created)}`);
      });
    });

  incident
    .command('show')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('an incident with its timeline and tasks (overdue ones flagged)')
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, options: { json?: boolean; dataDir?: string }) => {
      await withIncidentRuntime(options, async (runtime) => {
        const found = await getIncident(runtime, id);
        if (options.json === true) json(found);
        else write(describeIncident(found));
      });
    });

  incident
    .command('list')
    .addOption(dataDirOption())
    .description('every incident, newest first')
    .option('--json', 'print one JSON document instead of text')
    .action(async (options: { json?: boolean; dataDir?: string }) => {
      await withIncidentRuntime(options, async (runtime) => {
        const incidents = await listIncidents(runtime);
        if (options.json === true) json(incidents);
        else write(incidents.length === 0 ? 'No incidents.\n' : incidents.map(describeSummary).join(''));
      });
    });

  incident
    .command('transition')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .argument('<state>', 'investigating, identified, remediating, monitoring or closed')
    .addOption(dataDirOption())
    .description('move an incident forward (or from monitoring back to remediating); closed is final')
    .option('--note <text>', 'why, recorded on the timeline')
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, state: string, options: { note?: string; json?: boolean; dataDir?: string }) => {
      await withIncidentRuntime(options, async (runtime) => {
        const moved = await transitionIncident(runtime, {
          incidentId: id,
          to: state,
          ...(options.note === undefined ? {} : { note: options.note }),
          actor: CLI_ACTOR,
        });
        if (options.json === true) json(moved);
        else write(`Incident ${moved.id} is now ${moved.state}.\n`);
      });
    });

  const task = incident.command('task').description("an incident's tasks");
  task
    .command('add')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('add a task to an incident')
    .requiredOption('--title <text>', 'what must be done')
    .option('--owner <name>', 'who does it')
    .option('--due <iso>', 'when it is due (ISO-8601 with a zone)')
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, options: { title: string; owner?: string; due?: string; json?: boolean; dataDir?: string }) => {
      await withIncidentRuntime(options, async (runtime) => {
        const added = await addTask(runtime, {
          incidentId: id,
          title: options.title,
          owner: options.owner ?? null,
          dueAt: options.due ?? null,
          actor: CLI_ACTOR,
        });
        if (options.json === true) json(added);
        else write(`Added task ${added.id} to incident ${id}.\n`);
      });
    });
  task
    .command('done')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .argument('<taskId>', 'task id', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('mark a task done')
    .option('--public', 'customers see it, with its date, in what the vendor has done (notices, their security page, the evidence)')
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, taskId: number, options: { public?: boolean; json?: boolean; dataDir?: string }) => {
      await withIncidentRuntime(options, async (runtime) => {
        const done = await completeTask(runtime, { incidentId: id, taskId, public: options.public === true, actor: CLI_ACTOR });
        if (options.json === true) json(done);
        else write(`Task ${done.id} of incident ${id} is done${done.public ? '; customers see it among what we have done' : ''}.\n`);
      });
    });

  registerIncidentCampaignCommand(incident, openRuntime, output);
  registerIncidentScopeCommands(incident, openRuntime, output);
  registerIncidentEvidenceCommand(incident, openRuntime, output);
  return incident;
}
