import { createSampleIncident } from '../incidents/sample-incident.js';
import { createSampleAdvisory } from '../advisories/sample-advisory.js';
import type { DatabaseHandle } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Clock } from '../../platform/clock.js';
import { DemoPopulation, type DemoLine, type DemoOptions, type NamedDemoUser } from './demo.generator.js';
import { normaliseAccountLine, normaliseUserLine } from './import-lines.parser.js';
import { writePopulation, type PopulationItem, type PopulationSummary } from './population.writer.js';
import { type FieldProblem } from '../../platform/json-lines/line-problems.js';

export type { DemoOptions, NamedDemoUser } from './demo.generator.js';

/** `riposte demo` without flags. */
export const DEMO_DEFAULTS = { accounts: 50, users: 5_000, seed: 'riposte' } as const;
/** What `npm start` creates in an empty data directory. */
export const SMALL_DEMO = { accounts: 6, users: 200, seed: 'riposte' } as const;

export interface DemoResult {
  summary: PopulationSummary;
  /** Users whose passwords are known: print them for whoever tries the demo. */
  namedUsers: NamedDemoUser[];
  /** The sample incident, declared when the demo created accounts. */
  sampleIncidentId: number | null;
  /** The sample incident's published advisory (English and French), created with it. */
  sampleAdvisoryId: number | null;
}

export interface RunDemoOptions extends DemoOptions {
  clock: Clock;
  keyring: Keyring;
  actor?: Actor;
  /** Called after each batch with the users written so far, out of `options.users`. */
  onProgress?: (usersDone: number, usersTotal: number) => void;
}

function generatorBug(problems: FieldProblem[], what: string): AppError {
  const first = problems[0];
  return new AppError('DemoFailed', 'The demo generator produced an invalid record; nothing more was written.', {
    detail: `${what}: ${first?.field ?? 'line'} ${first?.message ?? ''}`,
  });
}

/** Demo lines as writer items, through the import's own validation, so both paths write the same shape. */
function* demoItems(lines: Iterable<DemoLine>): Generator<PopulationItem> {
  for (const item of lines) {
    if (item.kind === 'account-complete') {
      yield { kind: 'boundary' };
    } else if (item.kind === 'account') {
      const result = normaliseAccountLine(item.line);
      if (!result.ok) throw generatorBug(result.problems, `account ${item.line.subdomain}`);
      yield { kind: 'account', account: result.record };
    } else {
      const result = normaliseUserLine(item.line);
      if (!result.ok) throw generatorBug(result.problems, `user of ${item.line.account}`);
      yield { kind: 'user', user: result.record };
    }
  }
}

/**
 * Creates the deterministic demo population (see `DemoPopulation`) through
 * the import's bulk writer. The same seed on an empty database gives the
 * same accounts, users, ids and hashes; on a database that already holds
 * them it changes nothing.
 *
 * @example
 * const { summary, namedUsers } = await runDemo(handle, { accounts: 50, users: 5000, seed: 'riposte', clock: systemClock });
 */
export async function runDemo(handle: DatabaseHandle, options: RunDemoOptions): Promise<DemoResult> {
  const population = new DemoPopulation(options);
  const summary = await writePopulation(handle, demoItems(population.lines()), {
    clock: options.clock,
    keyring: options.keyring,
    actor: options.actor ?? { type: 'cli', id: 'demo' },
    source: 'demo',
    onProgress: (usersDone) => options.onProgress?.(usersDone, options.users),
  });
  // A demo that created accounts gets the sample incident over them; a repeated demo adds none.
  const sampleIncidentId =
    summary.accounts.created > 0
      ? await createSampleIncident(
          { db: handle.db, clock: options.clock, keyring: options.keyring },
          options.actor ?? { type: 'cli', id: 'demo' },
        )
      : null;
  const sampleAdvisoryId =
    sampleIncidentId === null
      ? null
      : await createSampleAdvisory(
          { db: handle.db, clock: options.clock, keyring: options.keyring },
          sampleIncidentId,
          options.actor ?? { type: 'cli', id: 'demo' },
        );
  return { summary, namedUsers: [...population.namedUsers], sampleIncidentId, sampleAdvisoryId };
}

export interface SmallDemoReport extends DemoResult {
  /** Lines for a person: who can sign in, where, with which password. Nothing is printed by the demo itself. */
  lines: string[];
}

/**
 * The small demo `npm start` creates when the database holds no account.
 * Prints nothing; returns what to print. `origin` builds an account's
 * address from its subdomain (default `http://{subdomain}.localhost:3000`).
 *
 * @example
 * const report = await runSmallDemo(runtime.handle, runtime, (s) => `http://${s}.localhost:${port}`);
 * for (const line of report.lines) process.stderr.write(`${line}\n`);
 */
export async function runSmallDemo(
  handle: DatabaseHandle,
  writer: { clock: Clock; keyring: Keyring },
  origin: (subdomain: string) => string = (s) => `http://${s}.localhost:3000`,
): Promise<SmallDemoReport> {
  const result = await runDemo(handle, { ...SMALL_DEMO, ...writer, actor: { type: 'system', id: 'demo' } });
  return { ...result, lines: describeNamedUsers(result, origin) };
}

/** What to tell a person after a demo: the totals and the users who can sign in. */
export function describeNamedUsers(result: DemoResult, origin: (subdomain: string) => string): string[] {
  const { summary } = result;
  const lines = [
    `Demo population: ${summary.accounts.created} accounts and ${summary.users.created} users created (${summary.accounts.unchanged} accounts and ${summary.users.unchanged} users were there already).`,
  ];
  if (result.sampleIncidentId !== null) {
    lines.push(`Sample incident ${result.sampleIncidentId} declared with its exposure: riposte incident scope ${result.sampleIncidentId}`);
  }
  if (result.sampleAdvisoryId !== null) {
    lines.push(
      `Its public advisory: /hc/en/articles/${result.sampleAdvisoryId} and /hc/fr/articles/${result.sampleAdvisoryId} on this server`,
    );
  }
  if (result.namedUsers.length > 0) lines.push('Demo users (passwords are for this demo only):');
  for (const user of result.namedUsers) {
    lines.push(
      `  ${origin(user.subdomain)}  ${user.email}  ${user.password}  (${user.role}, realm ${user.realm}, stored as ${user.scheme})`,
    );
  }
  return lines;
}
