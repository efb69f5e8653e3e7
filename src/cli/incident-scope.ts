import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { parseAccountList, type ScopeComparison, type ScopeSnapshot } from '../modules/incidents/exposures.model.js';
import { addExposure, removeExposure, type ExposureChange } from '../modules/incidents/exposures.service.js';
import { compareScopes, explainScope, getScope, type ScopeExplanation } from '../modules/incidents/scope.service.js';
import { recordStaffWorkOnAccount } from '../modules/staff-access/staff-work.js';
import { dataDirOption, processOutput, usingRuntime, writersFor, type CommandOutput, positiveWholeNumber } from './command-io.js';
import type { IncidentRuntime, OpenIncidentRuntime } from './incident-runtime.js';

const CLI_ACTOR = { type: 'cli' as const };

async function readInput(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new AppError('CommandFailed', `Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function readSelectorFile(file: string): Promise<unknown> {
  const text = await readInput(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppError('CommandFailed', `${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const describeChange = (verb: string, change: ExposureChange): string =>
  `Exposure ${change.exposure.id} (${change.exposure.category}) ${verb}; scope version ${change.scopeVersion} has ${change.accountsInScope} account(s).\n`;

/** Exposed password credentials per hash tier, when `password_hashes` was exposed. */
const describeTiers = (tiers: ScopeSnapshot['totals']['hashTiers']): string =>
  tiers === null ? '' : `; password hashes by tier: critical ${tiers.critical}, high ${tiers.high}, moderate ${tiers.moderate}`;

function describeScope(scope: ScopeSnapshot): string {
  const lines = [`Scope of incident ${scope.incidentId}, version ${scope.version} (${scope.reason}, ${scope.createdAt})`];
  for (const account of scope.accounts) {
    const records = Object.entries(account.records).map(([category, count]) => `${category} ${count}`);
    lines.push(
      `  ${account.subdomain}: ${account.categories.join(', ')}; people ${account.people} (${account.peopleByRole.agents} agents, ${account.peopleByRole.endUsers} end users); records ${records.join(', ')}${describeTiers(account.hashTiers)}`,
    );
  }
  const totals = Object.entries(scope.totals.records).map(([category, count]) => `${category} ${count}`);
  lines.push(
    `Totals: ${scope.totals.accounts} account(s), ${scope.totals.people} people; records ${totals.join(', ') || 'none'}${describeTiers(scope.totals.hashTiers)}`,
  );
  return `${lines.join('\n')}\n`;
}

function describeComparison(diff: ScopeComparison): string {
  const lines = [`Scope of incident ${diff.incidentId}, version ${diff.from} → ${diff.to}`];
  lines.push(
    `  accounts added: ${diff.accountsAdded.join(', ') || 'none'}`,
    `  accounts removed: ${diff.accountsRemoved.join(', ') || 'none'}`,
  );
  for (const change of diff.categoriesChanged)
    lines.push(`  ${change.subdomain}: +[${change.added.join(', ')}] -[${change.removed.join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

function describeExplanation(why: ScopeExplanation): string {
  const lines = [
    `${why.subdomain}${why.email === null ? '' : ` / ${why.email}`}: ${why.inScope ? `in scope (${why.categories.join(', ')})` : 'not in scope'}${why.version === null ? '' : ` at version ${why.version}`}`,
  ];
  for (const exposure of why.exposures)
    lines.push(
      `  exposure ${exposure.exposureId} (${exposure.category}): ${exposure.matched ? 'matched' : 'no match'}, ${exposure.reason}`,
    );
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `incident exposure add|remove` and `incident scope [diff|explain]` under
 * the `incident` command. Thin: read the files, call the exposure and scope services, print.
 *
 * @example
 * registerIncidentScopeCommands(registerIncidentCommand(program, open), open);
 * // riposte incident exposure add 1 --category password_hashes --selector rule.json --json
 */
export function registerIncidentScopeCommands(
  incident: Command,
  openRuntime: OpenIncidentRuntime,
  output: CommandOutput = processOutput,
): void {
  const { write, json } = writersFor(output);
  const withRuntime = (options: { dataDir?: string }, work: (runtime: IncidentRuntime) => Promise<void>): Promise<void> =>
    usingRuntime(openRuntime, options, work);

  const exposure = incident.command('exposure').description("an incident's exposures: data categories and who they reach");
  exposure
    .command('add')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('add an exposure and compute the next scope version')
    .requiredOption('--category <category>', 'contact_pii, password_hashes, auth_credentials, tls_keys, app_secrets or ticket_data')
    .option('--selector <file.json>', 'a selector (DESIGN.md, "Selectors")')
    .option(
      '--accounts <file.csv|file.jsonl>',
      'accounts from forensics: one id or subdomain a line, or {"account_id": N} / {"subdomain": "..."}',
    )
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, options: { category: string; selector?: string; accounts?: string; json?: boolean; dataDir?: string }) => {
      if ((options.selector === undefined) === (options.accounts === undefined))
        throw new AppError('CommandFailed', 'Give exactly one of --selector FILE.json or --accounts FILE.csv|FILE.jsonl.');
      const selector = options.selector === undefined ? undefined : await readSelectorFile(options.selector);
      const accountIds =
        options.accounts === undefined ? undefined : parseAccountList(await readInput(options.accounts), path.basename(options.accounts));
      await withRuntime(options, async (runtime) => {
        const change = await addExposure(runtime, {
          incidentId: id,
          category: options.category,
          ...(selector === undefined ? {} : { selector }),
          ...(accountIds === undefined ? {} : { accountIds }),
          actor: CLI_ACTOR,
        });
        if (options.json === true) json(change);
        else write(describeChange('added', change));
      });
    });
  exposure
    .command('remove')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .argument('<exposureId>', 'exposure id', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('remove an exposure and compute the next scope version')
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, exposureId: number, options: { json?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const change = await removeExposure(runtime, { incidentId: id, exposureId, actor: CLI_ACTOR });
        if (options.json === true) json(change);
        else write(describeChange('removed', change));
      });
    });

  const scope = incident
    .command('scope')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('affected accounts with categories, people and records (latest version unless --version)')
    .option('--version <n>', 'a scope version', positiveWholeNumber)
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, options: { version?: number; json?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const snapshot = await getScope(runtime, id, options.version);
        if (options.json === true) json(snapshot);
        else write(describeScope(snapshot));
      });
    });
  // `scope` takes --json and --data-dir itself, and commander gives it those written after a subcommand's
  // arguments too (every ancestor would have to enable positional options), so the subcommands read them with their parent's.
  scope
    .command('diff')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .argument('<from>', 'scope version', positiveWholeNumber)
    .argument('<to>', 'scope version', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('accounts added and removed, and categories changed, between two scope versions')
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, from: number, to: number, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ json?: boolean; dataDir?: string }>();
      await withRuntime(options, async (runtime) => {
        const diff = await compareScopes(runtime, id, from, to);
        if (options.json === true) json(diff);
        else write(describeComparison(diff));
      });
    });
  scope
    .command('explain')
    .argument('<id>', 'incident id', positiveWholeNumber)
    .addOption(dataDirOption())
    .description('why an account (or one of its users) is in scope or not: per exposure, the clauses that matched or failed')
    .requiredOption('--account <subdomain>', 'the account')
    .option('--email <email>', 'one of its users')
    .option('--json', 'print one JSON document instead of text')
    .action(async (id: number, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ account: string; email?: string; json?: boolean; dataDir?: string }>();
      await withRuntime(options, async (runtime) => {
        const why = await explainScope(runtime, id, {
          subdomain: options.account,
          ...(options.email === undefined ? {} : { email: options.email }),
        });
        await recordStaffWorkOnAccount(runtime, { type: 'cli' }, options.account, {
          kind: 'read',
          what: 'incident.scope_explain',
          target: { type: 'incident', id },
          details: { user_looked_up: options.email !== undefined },
        });
        if (options.json === true) json(why);
        else write(describeExplanation(why));
      });
    });
}
