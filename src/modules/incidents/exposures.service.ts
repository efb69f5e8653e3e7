import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import { recordScopeWork } from '../staff-access/staff-work.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import {
  EXPOSURE_CATEGORIES,
  isExposureCategory,
  MAX_LISTED_ACCOUNTS,
  type AccountReference,
  type Exposure,
  type ExposureCategory,
  type ExposureTarget,
} from './exposures.model.js';
import {
  EXPOSURE_ID_SEQUENCE,
  exposureOf,
  findAccountsByIds,
  findAccountsBySubdomains,
  findExposure,
  insertExposure,
  listActiveExposures,
  markExposureRemoved,
} from './exposures.repo.js';
import { touchIncident, type IncidentRow } from './incidents.repo.js';
import { recordIncidentChange } from './incident-history.js';
import { materialiseScope } from './scope.service.js';
import { parseSelector } from './selectors/selector.model.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;
type Tx = Deps['db'];

/** Locks the open incident for the rest of the transaction (as incidents.service does). */
async function lockOpenIncident(tx: Tx, id: number, now: string): Promise<IncidentRow> {
  const row = await touchIncident(tx, id, { updated_at: now });
  if (row === undefined) throw notFound(`Incident ${id}`);
  if (row.state === 'closed')
    throw new AppError('IncidentClosed', `Incident ${row.id} is closed and can no longer change; declare a new incident instead.`);
  return row;
}

function categoryOf(value: string): ExposureCategory {
  if (isExposureCategory(value)) return value;
  throw invalid(`"${value}" is not an exposure category; use one of ${EXPOSURE_CATEGORIES.join(', ')}.`, {
    category: ['is not a category'],
  });
}

/**
 * The account ids of a list, each reference checked: an unknown id or
 * subdomain is a 422 naming its line. Two lookups, whatever the length.
 */
async function resolveAccounts(db: Tx, references: ReadonlyArray<AccountReference | number>): Promise<number[]> {
  const entries = references.map((reference, index) =>
    typeof reference === 'number' ? { line: index + 1, accountId: reference } : reference,
  );
  if (entries.length === 0) throw invalid('The account list is empty.', { accounts: ['is empty'] });
  if (entries.length > MAX_LISTED_ACCOUNTS)
    throw invalid(`The account list has ${entries.length} entries; at most ${MAX_LISTED_ACCOUNTS}.`, { accounts: ['is too long'] });
  const ids = entries.flatMap((entry) => ('accountId' in entry ? [entry.accountId] : []));
  const subdomains = entries.flatMap((entry) => ('subdomain' in entry ? [entry.subdomain] : []));
  const [byId, bySubdomain] = await Promise.all([
    findAccountsByIds(db, [...new Set(ids)]),
    findAccountsBySubdomains(db, [...new Set(subdomains)]),
  ]);
  const knownIds = new Set(byId.map((account) => Number(account.id)));
  const idOfSubdomain = new Map(bySubdomain.map((account) => [account.subdomain, Number(account.id)]));
  const resolved = new Set<number>();
  for (const entry of entries) {
    const id = 'accountId' in entry ? (knownIds.has(entry.accountId) ? entry.accountId : undefined) : idOfSubdomain.get(entry.subdomain);
    if (id === undefined) {
      const what = 'accountId' in entry ? `account id ${entry.accountId}` : `subdomain "${entry.subdomain}"`;
      throw invalid(`Line ${entry.line}: no account has ${what}; correct or remove the line.`, {
        [`line ${entry.line}`]: ['is not an account'],
      });
    }
    resolved.add(id);
  }
  return [...resolved].sort((a, b) => a - b);
}

export interface AddExposureInput {
  incidentId: number;
  category: string;
  /** A selector as parsed JSON; validated by `parseSelector` (422 naming the path). */
  selector?: unknown;
  /** Or accounts from forensics: ids, or references from `parseAccountList` (errors name the line). */
  accountIds?: ReadonlyArray<AccountReference | number>;
  actor: Actor;
}

export interface ExposureChange {
  exposure: Exposure;
  /** The scope version the change produced. */
  scopeVersion: number;
  accountsInScope: number;
}

function describeTarget(target: ExposureTarget): string {
  return target.kind === 'selector' ? 'a selector' : `a list of ${target.accountIds.length} account(s)`;
}

/**
 * Adds an exposure to an open incident and writes the next scope version, a
 * timeline event and an audit event, all in one transaction.
 *
 * @example
 * const { exposure, scopeVersion } = await addExposure(deps, {
 *   incidentId, category: 'password_hashes', selector: JSON.parse(text), actor: { type: 'cli' },
 * });
 */
export async function addExposure(deps: Deps, input: AddExposureInput): Promise<ExposureChange> {
  const category = categoryOf(input.category);
  if ((input.selector === undefined) === (input.accountIds === undefined))
    throw invalid('Give either a selector or a list of accounts, not both and not neither.', { exposure: ['needs one target'] });
  const selector = input.selector === undefined ? undefined : parseSelector(input.selector);
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const incident = await lockOpenIncident(tx, input.incidentId, now);
    const target: ExposureTarget =
      selector !== undefined
        ? { kind: 'selector', selector }
        : { kind: 'accounts', accountIds: await resolveAccounts(tx, input.accountIds ?? []) };
    const id = await reserveIds(tx, EXPOSURE_ID_SEQUENCE, 1);
    const row = {
      incident_id: incident.id,
      id,
      category,
      kind: target.kind,
      selector: target.kind === 'selector' ? JSON.stringify(target.selector) : null,
      account_ids: target.kind === 'accounts' ? JSON.stringify(target.accountIds) : null,
      added_at: now,
      removed_at: null,
    };
    await insertExposure(tx, row);
    const scope = await materialiseScope(tx, deps.clock, incident, `exposure ${id} added`);
    await recordIncidentChange(tx, deps, {
      incidentId: incident.id,
      at: now,
      actor: input.actor,
      kind: 'exposure_added',
      summary: `Exposure ${id} added: ${category} by ${describeTarget(target)}; scope version ${scope.version} has ${scope.accounts} account(s)`,
      timeline: { exposure_id: id, category, kind: target.kind, scope_version: scope.version, accounts: scope.accounts },
      action: 'incident.exposure_added',
      audit: { exposure_id: id, category, kind: target.kind, scope_version: scope.version },
    });
    await recordScopeWork(tx, deps, input.actor, incident.id, scope.version);
    return { exposure: exposureOf(row), scopeVersion: scope.version, accountsInScope: scope.accounts };
  });
}

export interface RemoveExposureInput {
  incidentId: number;
  exposureId: number;
  actor: Actor;
}

/**
 * Removes an exposure (it stays on record with `removedAt`) and writes the
 * next scope version, a timeline event and an audit event.
 */
export async function removeExposure(deps: Deps, input: RemoveExposureInput): Promise<ExposureChange> {
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const incident = await lockOpenIncident(tx, input.incidentId, now);
    const found = await findExposure(tx, incident.id, input.exposureId);
    if (found === undefined) throw notFound(`Exposure ${input.exposureId} of incident ${incident.id}`);
    if (!(await markExposureRemoved(tx, incident.id, input.exposureId, now)))
      throw new AppError('ExposureAlreadyRemoved', `Exposure ${input.exposureId} was already removed at ${found.removed_at ?? now}.`);
    const scope = await materialiseScope(tx, deps.clock, incident, `exposure ${input.exposureId} removed`);
    await recordIncidentChange(tx, deps, {
      incidentId: incident.id,
      at: now,
      actor: input.actor,
      kind: 'exposure_removed',
      summary: `Exposure ${input.exposureId} removed (${found.category}); scope version ${scope.version} has ${scope.accounts} account(s)`,
      timeline: { exposure_id: input.exposureId, category: found.category, scope_version: scope.version, accounts: scope.accounts },
      action: 'incident.exposure_removed',
      audit: { exposure_id: input.exposureId, category: found.category, scope_version: scope.version },
    });
    await recordScopeWork(tx, deps, input.actor, incident.id, scope.version);
    return { exposure: exposureOf({ ...found, removed_at: now }), scopeVersion: scope.version, accountsInScope: scope.accounts };
  });
}

/** The exposures in force on an incident, oldest first. */
export async function listExposures(deps: Deps, incidentId: number): Promise<Exposure[]> {
  return (await listActiveExposures(deps.db, incidentId)).map(exposureOf);
}
