import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { appendAdvisoryUpdate, saveAdvisoryTranslation, translateAdvisoryUpdate } from '../modules/advisories/advisory-edits.service.js';
import type { AdvisoryDetails, AdvisorySummary } from '../modules/advisories/advisory.model.js';
import {
  createAdvisory,
  getAdvisory,
  listAdvisories,
  publishAdvisory,
  unpublishAdvisory,
} from '../modules/advisories/advisories.service.js';
import type { Keyring } from '../platform/crypto/keyring.js';
import type { Clock } from '../platform/clock.js';
import { dataDirOption, processOutput, usingRuntime, writersFor, type CommandOutput, positiveWholeNumber } from './command-io.js';

/** What the advisory verbs need from the process (`main.ts`'s `Runtime` fits); tests hand in their own. */
export interface AdvisoryRuntime {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  close(): Promise<void>;
}

export type OpenAdvisoryRuntime = (flags: { dataDir?: string }) => Promise<AdvisoryRuntime>;

const CLI_ACTOR = { type: 'cli' as const };

/** `--translation fr=notes.fr.md`, repeatable. */
function collectTranslation(value: string, previous: Array<{ locale: string; file: string }>): Array<{ locale: string; file: string }> {
  const match = /^([^=]+)=(.+)$/.exec(value);
  if (match === null) throw new InvalidArgumentError('Expects LOCALE=FILE.md, such as fr=update.fr.md.');
  return [...previous, { locale: match[1] ?? '', file: match[2] ?? '' }];
}

function readMarkdown(option: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new AppError('CommandFailed', `Cannot read ${option} ${file} (${reason}); give the path of a markdown file.`);
  }
}

const flags = (translation: { machineTranslated: boolean; outdated: boolean; isSource: boolean }): string =>
  [translation.isSource ? 'source' : '', translation.machineTranslated ? 'machine-translated' : '', translation.outdated ? 'OUTDATED' : '']
    .filter((flag) => flag !== '')
    .join(', ');

function describeAdvisory(advisory: AdvisoryDetails): string {
  const lines = [
    `Advisory ${advisory.id}: ${advisory.title}`,
    `  state: ${advisory.state}${advisory.publishedAt === null ? '' : ` (published ${advisory.publishedAt})`}`,
    `  incident: ${advisory.incidentId ?? 'none'}`,
    'Translations:',
    ...advisory.translations.map(
      (t) =>
        `  ${t.locale} revision ${t.revision}, edited ${t.editedAt}${flags(t) === '' ? '' : ` [${flags(t)}]`}: ${advisory.pages[t.locale] ?? ''}`,
    ),
    `Updates (${advisory.updates.length}):`,
    ...advisory.updates.map((u) => `  #${u.seq} ${u.postedAt} in ${u.bodies.map((b) => b.locale).join(', ')}`),
    `Revisions kept: ${advisory.revisions.length}`,
  ];
  return `${lines.join('\n')}\n`;
}

const describeSummary = (advisory: AdvisorySummary): string =>
  `${advisory.id}\t${advisory.state}\t${advisory.locales.join(',')}\t${advisory.title}\n`;

/**
 * Adds `riposte advisory create|translate|update|publish|unpublish|show|list`,
 * each with `--json` and `--data-dir`; bodies come from markdown files.
 *
 * @example
 * registerAdvisoryCommand(program, ({ dataDir }) => openRuntime({ dataDir }));
 * // riposte advisory create --title "Passwords reset" --body advisory.en.md --incident 1 --json
 */
export function registerAdvisoryCommand(
  program: Command,
  openRuntime: OpenAdvisoryRuntime,
  output: CommandOutput = processOutput,
): Command {
  const { write, json } = writersFor(output);
  const withRuntime = (options: { dataDir?: string }, work: (runtime: AdvisoryRuntime) => Promise<void>): Promise<void> =>
    usingRuntime(openRuntime, options, work);
  const print = (options: { json?: boolean }, advisory: AdvisoryDetails, done: string): void => {
    if (options.json === true) json(advisory);
    else write(`${done}\n${describeAdvisory(advisory)}`);
  };

  const advisory = program.command('advisory').description('public advisories: write, translate, publish, append dated updates');

  advisory
    .command('create')
    .description('create a draft advisory from a markdown file, in its source locale')
    .requiredOption('--title <text>', 'the title in the source locale')
    .requiredOption('--body <file.md>', 'markdown file with the body')
    .option('--locale <locale>', 'source locale (en or fr)', 'en')
    .option('--incident <id>', 'the incident it is about', positiveWholeNumber)
    .option('--json', 'print one JSON document instead of text')
    .addOption(dataDirOption())
    .action(async (options: { title: string; body: string; locale: string; incident?: number; json?: boolean; dataDir?: string }) => {
      const body = readMarkdown('--body', options.body);
      await withRuntime(options, async (runtime) => {
        const created = await createAdvisory(runtime, {
          title: options.title,
          body,
          sourceLocale: options.locale,
          incidentId: options.incident ?? null,
          actor: CLI_ACTOR,
        });
        if (options.json === true) json({ id: created.id });
        else write(`Created draft advisory ${created.id}; publish it with: riposte advisory publish ${created.id}\n`);
      });
    });

  advisory
    .command('translate')
    .argument('<id>', 'advisory id', positiveWholeNumber)
    .description('save a new revision of a locale (the source too), or with --update N add a locale to update N')
    .requiredOption('--locale <locale>', 'en or fr')
    .requiredOption('--body <file.md>', 'markdown file with the text')
    .option('--title <text>', 'the title in this locale (required unless --update)')
    .option('--update <seq>', 'translate this update instead of the article', positiveWholeNumber)
    .option('--machine-translated', 'the text was produced by machine translation (readers are told)')
    .option('--json', 'print one JSON document instead of text')
    .addOption(dataDirOption())
    .action(
      async (
        id: number,
        options: {
          locale: string;
          body: string;
          title?: string;
          update?: number;
          machineTranslated?: boolean;
          json?: boolean;
          dataDir?: string;
        },
      ) => {
        const body = readMarkdown('--body', options.body);
        const machineTranslated = options.machineTranslated === true;
        await withRuntime(options, async (runtime) => {
          if (options.update !== undefined) {
            const update = await translateAdvisoryUpdate(runtime, {
              advisoryId: id,
              seq: options.update,
              locale: options.locale,
              body,
              machineTranslated,
              actor: CLI_ACTOR,
            });
            if (options.json === true) json(update);
            else write(`Update ${update.seq} of advisory ${id} now reads in ${update.bodies.map((b) => b.locale).join(', ')}.\n`);
            return;
          }
          if (options.title === undefined)
            throw new AppError('CommandFailed', 'Give --title for the article in this locale (or --update N to translate an update).');
          const saved = await saveAdvisoryTranslation(runtime, {
            advisoryId: id,
            locale: options.locale,
            title: options.title,
            body,
            machineTranslated,
            actor: CLI_ACTOR,
          });
          if (options.json === true) json(saved);
          else write(`Saved ${saved.locale} revision ${saved.revision} of advisory ${id}${saved.outdated ? ' (outdated)' : ''}.\n`);
        });
      },
    );

  advisory
    .command('update')
    .argument('<id>', 'advisory id', positiveWholeNumber)
    .description('append a dated update (never rewritten): the source text, and translations with --translation')
    .requiredOption('--body <file.md>', 'markdown file with the update in the source locale')
    .option('--translation <locale=file.md>', 'the update in another locale; repeatable', collectTranslation, [])
    .option('--machine-translated', 'the --translation texts were machine-translated')
    .option('--json', 'print one JSON document instead of text')
    .addOption(dataDirOption())
    .action(
      async (
        id: number,
        options: {
          body: string;
          translation: Array<{ locale: string; file: string }>;
          machineTranslated?: boolean;
          json?: boolean;
          dataDir?: string;
        },
      ) => {
        const body = readMarkdown('--body', options.body);
        const translations = options.translation.map(({ locale, file }) => ({
          locale,
          body: readMarkdown('--translation', file),
          machineTranslated: options.machineTranslated === true,
        }));
        await withRuntime(options, async (runtime) => {
          const update = await appendAdvisoryUpdate(runtime, { advisoryId: id, body, translations, actor: CLI_ACTOR });
          if (options.json === true) json(update);
          else write(`Appended update ${update.seq} to advisory ${id} at ${update.postedAt}.\n`);
        });
      },
    );

  for (const [verb, change, description] of [
    ['publish', publishAdvisory, 'make the advisory public in every locale it has'],
    ['unpublish', unpublishAdvisory, 'take the advisory back to draft (the public gets 404)'],
  ] as const) {
    advisory
      .command(verb)
      .argument('<id>', 'advisory id', positiveWholeNumber)
      .description(description)
      .option('--json', 'print one JSON document instead of text')
      .addOption(dataDirOption())
      .action(async (id: number, options: { json?: boolean; dataDir?: string }) => {
        await withRuntime(options, async (runtime) => print(options, await change(runtime, id, CLI_ACTOR), `Advisory ${id} ${verb}ed.`));
      });
  }

  advisory
    .command('show')
    .argument('<id>', 'advisory id', positiveWholeNumber)
    .description('an advisory with its translations (outdated ones flagged), updates and revisions')
    .option('--json', 'print one JSON document instead of text')
    .addOption(dataDirOption())
    .action(async (id: number, options: { json?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const found = await getAdvisory(runtime, id);
        if (options.json === true) json(found);
        else write(describeAdvisory(found));
      });
    });

  advisory
    .command('list')
    .description('every advisory, newest first, drafts included')
    .option('--json', 'print one JSON document instead of text')
    .addOption(dataDirOption())
    .action(async (options: { json?: boolean; dataDir?: string }) => {
      await withRuntime(options, async (runtime) => {
        const advisories = await listAdvisories(runtime);
        if (options.json === true) json(advisories);
        else write(advisories.length === 0 ? 'No advisories.\n' : advisories.map(describeSummary).join(''));
      });
    });

  return advisory;
}
