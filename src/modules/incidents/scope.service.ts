import type { Queryable } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { countExposedCertificates } from '../certificates/certificate-exposure.service.js';
import {
  EXPOSURE_CATEGORIES,
  isAccountLevelCategory,
  isExposureCategory,
  type Exposure,
  type ExposureCategory,
  type ScopeAccount,
  type ScopeComparison,
  type ScopeSnapshot,
} from './exposures.model.js';
import { exposureOf, listActiveExposures } from './exposures.repo.js';
import type { IncidentRow } from './incidents.repo.js';
import { findIncident } from './incidents.repo.js';
import {
  countExposedHashTiers,
  countMatchingUsersInAccount,
  countStaleInstallations,
  countUserScope,
  findAccountBySubdomain,
  findScopeVersion,
  findSelectorRecordsByEmail,
  insertScopeSnapshot,
  listScopeAccounts,
  listScopedAccounts,
  nextScopeVersion,
  userSelectorOf,
  type ScopeAccountRow,
  type ScopeSource,
} from './scope.repo.js';
import { explainSelector, type ExplainedSelector } from './selectors/selector.explain.js';
import { isHashTier, noHashTiers, sumHashTiers, type HashTierCounts } from '../auth/passwords/hash-strength.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

// Rows of scope_accounts per INSERT: 7 columns stay far below both backends' parameter limits.
const SNAPSHOT_PARAMETERS = 30_000;

interface AccountTally {
  categories: Set<ExposureCategory>;
  agents: number;
  endUsers: number;
  records: Partial<Record<ExposureCategory, number>>;
  hashTiers: HashTierCounts;
}

const ordered = (categories: Iterable<ExposureCategory>): ExposureCategory[] => {
  const present = new Set(categories);
  return EXPOSURE_CATEGORIES.filter((category) => present.has(category));
};

/**
 * The time before which data counts as exposed for the inventories of
 * account-level categories: the incident's cutoff, else when it became known.
 */
export const inventoryCutoffOf = (incident: IncidentRow): string => incident.cutoff ?? incident.became_aware_at;

/**
 * "At exposure time" for password hashes: the hash that counts is the one a
 * password was stored with at the start of the exposure window, or at the
 * cutoff when no window is known (or it starts later). A password set before
 * the cutoff keeps its weak hash's tier when that hash was wrapped or
 * upgraded at or after this time, since an attacker inside the window could
 * copy it before; a password changed after the cutoff is not exposed at all.
 */
export function hashesAsOf(incident: Pick<IncidentRow, 'exposure_starts_at'>, cutoff: string): string {
  const start = incident.exposure_starts_at;
  return start !== null && start < cutoff ? start : cutoff;
}

/** Counts per tier stored as JSON with a scope row; null when none were counted. */
export function parseHashTiers(json: string | null): HashTierCounts | null {
  if (json === null) return null;
  const parsed = JSON.parse(json) as Partial<HashTierCounts>;
  return { critical: parsed.critical ?? 0, high: parsed.high ?? 0, moderate: parsed.moderate ?? 0 };
}

type Counted<T extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<T>>;

/** Per account, the categories and counts the grouped statements returned, put together. */
function tallyScope(
  accounts: Counted<typeof listScopedAccounts>,
  users: Counted<typeof countUserScope>,
  installations: Counted<typeof countStaleInstallations>,
  certificates: Counted<typeof countExposedCertificates>,
  hashTiers: Counted<typeof countExposedHashTiers>,
): Map<number, AccountTally> {
  const tallies = new Map<number, AccountTally>();
  const tallyOf = (accountId: number): AccountTally => {
    let tally = tallies.get(accountId);
    if (tally === undefined) {
      tally = { categories: new Set(), agents: 0, endUsers: 0, records: {}, hashTiers: noHashTiers() };
      tallies.set(accountId, tally);
    }
    return tally;
  };
  const addCategory = (accountId: number, category: string): AccountTally => {
    const tally = tallyOf(accountId);
    if (isExposureCategory(category)) {
      tally.categories.add(category);
      tally.records[category] ??= 0;
    }
    return tally;
  };
  for (const row of accounts) addCategory(row.account_id, row.category);
  for (const row of users.records) {
    const tally = addCategory(row.account_id, row.category);
    if (isExposureCategory(row.category)) tally.records[row.category] = row.users;
  }
  for (const row of users.people) Object.assign(tallyOf(row.account_id), { agents: row.agents, endUsers: row.end_users });
  for (const row of installations) {
    const tally = tallies.get(row.account_id);
    if (tally?.categories.has('app_secrets') === true) tally.records.app_secrets = row.installations;
  }
  for (const row of certificates) {
    const tally = tallies.get(row.account_id);
    if (tally?.categories.has('tls_keys') === true) tally.records.tls_keys = row.certificates;
  }
  for (const row of hashTiers) {
    const tally = tallies.get(row.account_id);
    if (tally !== undefined && isHashTier(row.tier)) tally.hashTiers[row.tier] += row.credentials;
  }
  return tallies;
}

/**
 * Computes the scope of the exposures in force and writes it as the next
 * version, in the caller's transaction. Counting is set-based: user-level
 * categories by grouped counts over the union of the compiled selectors
 * (records = users matched; people = distinct users, agents and admins apart
 * from end users); `app_secrets` by the installations with a secret set
 * before the cutoff, `tls_keys` by the certificate inventory's exposed
 * certificates, both over the accounts the exposure reaches. Only per-account
 * totals come back to be assembled and written.
 */
export async function materialiseScope(
  db: Queryable,
  clock: Clock,
  incident: IncidentRow,
  reason: string,
): Promise<{ version: number; accounts: number }> {
  const sources: ScopeSource[] = (await listActiveExposures(db, incident.id)).map(exposureOf);
  const userLevel = sources.filter((source) => !isAccountLevelCategory(source.category));
  // User selectors' accounts come with their users' counts; the rest are listed, so an account without users still shows.
  const listed = sources.filter((source) => isAccountLevelCategory(source.category) || userSelectorOf(source.target) === undefined);
  const cutoff = inventoryCutoffOf(incident);
  const appSources = sources.filter((source) => source.category === 'app_secrets');
  const [users, accounts, installations, certificates, hashTiers] = await Promise.all([
    countUserScope(db, userLevel),
    listScopedAccounts(db, listed),
    countStaleInstallations(db, appSources, cutoff),
    sources.some((source) => source.category === 'tls_keys')
      ? countExposedCertificates({ db, clock }, { uploadedBefore: cutoff })
      : Promise.resolve([]),
    countExposedHashTiers(db, sources, cutoff, hashesAsOf(incident, cutoff)),
  ]);

  const tallies = tallyScope(accounts, users, installations, certificates, hashTiers);

  const version = await nextScopeVersion(db, incident.id);
  const rows: ScopeAccountRow[] = [...tallies.entries()]
    .sort(([a], [b]) => a - b)
    .map(([accountId, tally]) => {
      const categories = ordered(tally.categories);
      return {
        incident_id: incident.id,
        version,
        account_id: accountId,
        categories: JSON.stringify(categories),
        people_agents: tally.agents,
        people_end_users: tally.endUsers,
        records: JSON.stringify(Object.fromEntries(categories.map((category) => [category, tally.records[category] ?? 0]))),
        hash_tiers: tally.categories.has('password_hashes') ? JSON.stringify(tally.hashTiers) : null,
      };
    });
  await insertScopeSnapshot(
    db,
    { incident_id: incident.id, version, created_at: clock.now().toISOString(), reason },
    rows,
    SNAPSHOT_PARAMETERS,
  );
  return { version, accounts: rows.length };
}

async function requireIncident(db: Queryable, incidentId: number): Promise<IncidentRow> {
  const incident = await findIncident(db, incidentId);
  if (incident === undefined) throw notFound(`Incident ${incidentId}`);
  return incident;
}

const noScope = (incidentId: number, version: number | undefined): AppError =>
  version === undefined
    ? new AppError('ScopeNotFound', `Incident ${incidentId} has no scope yet; add an exposure with "riposte incident exposure add".`)
    : notFound(`Scope version ${version} of incident ${incidentId}`);

const scopeAccountOf = (row: ScopeAccountRow & { subdomain: string }): ScopeAccount => {
  const agents = Number(row.people_agents);
  const endUsers = Number(row.people_end_users);
  return {
    subdomain: row.subdomain,
    accountId: Number(row.account_id),
    categories: JSON.parse(row.categories) as ExposureCategory[],
    people: agents + endUsers,
    peopleByRole: { agents, endUsers },
    records: JSON.parse(row.records) as Partial<Record<ExposureCategory, number>>,
    hashTiers: parseHashTiers(row.hash_tiers),
  };
};

/**
 * One scope version of an incident (the latest when `version` is omitted):
 * affected accounts by subdomain with their categories, people and records,
 * and the totals (DESIGN.md's `incident scope` document).
 *
 * @example
 * const scope = await getScope(deps, incidentId);
 * // { version: 2, accounts: [{ subdomain: 'acme', categories: ['password_hashes'], people: 12, records: { password_hashes: 12 }, ... }], totals: {...} }
 */
export async function getScope(deps: Deps, incidentId: number, version?: number): Promise<ScopeSnapshot> {
  await requireIncident(deps.db, incidentId);
  const found = await findScopeVersion(deps.db, incidentId, version);
  if (found === undefined) throw noScope(incidentId, version);
  const accounts = (await listScopeAccounts(deps.db, incidentId, Number(found.version))).map(scopeAccountOf);
  const records: Partial<Record<ExposureCategory, number>> = {};
  for (const account of accounts)
    for (const [category, count] of Object.entries(account.records) as Array<[ExposureCategory, number]>)
      records[category] = (records[category] ?? 0) + count;
  const agents = accounts.reduce((sum, account) => sum + account.peopleByRole.agents, 0);
  const endUsers = accounts.reduce((sum, account) => sum + account.peopleByRole.endUsers, 0);
  const hashTiers = sumHashTiers(accounts.map((account) => account.hashTiers));
  return {
    incidentId,
    version: Number(found.version),
    createdAt: found.created_at,
    reason: found.reason,
    accounts,
    totals: {
      accounts: accounts.length,
      people: agents + endUsers,
      peopleByRole: { agents, endUsers },
      records: Object.fromEntries(ordered(Object.keys(records) as ExposureCategory[]).map((c) => [c, records[c] ?? 0])),
      hashTiers,
    },
  };
}

/**
 * What changed between two scope versions: accounts added and removed, and
 * for accounts in both, the categories added and removed.
 *
 * @example
 * await compareScopes(deps, incidentId, 1, 2);
 * // { accountsAdded: ['beta'], accountsRemoved: [], categoriesChanged: [{ subdomain: 'acme', added: ['tls_keys'], removed: [] }], ... }
 */
export async function compareScopes(deps: Deps, incidentId: number, from: number, to: number): Promise<ScopeComparison> {
  const [before, after] = await Promise.all([getScope(deps, incidentId, from), getScope(deps, incidentId, to)]);
  const beforeBySubdomain = new Map(before.accounts.map((account) => [account.subdomain, account]));
  const afterBySubdomain = new Map(after.accounts.map((account) => [account.subdomain, account]));
  const categoriesChanged: ScopeComparison['categoriesChanged'] = [];
  for (const account of after.accounts) {
    const previous = beforeBySubdomain.get(account.subdomain);
    if (previous === undefined) continue;
    const added = account.categories.filter((category) => !previous.categories.includes(category));
    const removed = previous.categories.filter((category) => !account.categories.includes(category));
    if (added.length > 0 || removed.length > 0) categoriesChanged.push({ subdomain: account.subdomain, added, removed });
  }
  return {
    incidentId,
    from,
    to,
    accountsAdded: after.accounts.filter((account) => !beforeBySubdomain.has(account.subdomain)).map((account) => account.subdomain),
    accountsRemoved: before.accounts.filter((account) => !afterBySubdomain.has(account.subdomain)).map((account) => account.subdomain),
    categoriesChanged,
  };
}

export interface ExposureExplanation {
  exposureId: number;
  category: ExposureCategory;
  kind: Exposure['target']['kind'];
  matched: boolean;
  /** Why, in words: listed, the account's clauses, or how many of its users the selector matches. */
  reason: string;
  /** The account-level selector evaluated on the account. */
  account?: ExplainedSelector;
  /** A user selector evaluated on each user with the given email (one per realm). */
  users?: Array<{ userId: number; realm: string; matched: boolean; explanation: ExplainedSelector }>;
  /** Without an email: how many of the account's users a user selector matches. */
  matchedUsers?: number;
}

export interface ScopeExplanation {
  incidentId: number;
  subdomain: string;
  email: string | null;
  /** The latest version, or null when no scope was computed yet. */
  version: number | null;
  inScope: boolean;
  categories: ExposureCategory[];
  exposures: ExposureExplanation[];
}

/**
 * Why an account (and, with an email, a user) is in the current scope or
 * not: per exposure in force, whether it matched and which clauses matched
 * or failed (`explainSelector` over the stored record).
 *
 * @example
 * const why = await explainScope(deps, incidentId, { subdomain: 'acme', email: 'ana@acme.test' });
 * why.exposures[0].users?.[0].explanation; // { all: [{ field: 'user.sso', matched: true, ... }], matched: true, path: '' }
 */
export async function explainScope(
  deps: Deps,
  incidentId: number,
  target: { subdomain: string; email?: string },
): Promise<ScopeExplanation> {
  await requireIncident(deps.db, incidentId);
  const subdomain = target.subdomain.trim().toLowerCase();
  const account = await findAccountBySubdomain(deps.db, subdomain);
  if (account === undefined) throw notFound(`Account ${subdomain}`);
  const email = target.email?.trim().toLowerCase();
  const users = email === undefined ? undefined : await findSelectorRecordsByEmail(deps.db, account.id, email);
  if (users !== undefined && users.length === 0) throw notFound(`A user with email ${email} in account ${subdomain}`);
  const latest = await findScopeVersion(deps.db, incidentId, undefined);
  const scoped = latest === undefined ? undefined : (await listScopeAccounts(deps.db, incidentId, Number(latest.version), account.id))[0];
  const exposures: ExposureExplanation[] = [];
  const accountRecord = {
    account: {
      id: account.id,
      status: account.status,
      activated_at: account.activated_at,
      created_at: account.created_at,
      products_mask: account.products_mask,
    },
  };
  for (const exposure of (await listActiveExposures(deps.db, incidentId)).map(exposureOf)) {
    const head = { exposureId: exposure.id, category: exposure.category, kind: exposure.target.kind };
    if (exposure.target.kind === 'accounts') {
      const matched = exposure.target.accountIds.includes(account.id);
      exposures.push({
        ...head,
        matched,
        reason: matched ? 'the account is on the imported list' : 'the account is not on the imported list',
      });
      continue;
    }
    const userSelector = userSelectorOf(exposure.target);
    if (userSelector === undefined) {
      const explanation = explainSelector(exposure.target.selector, accountRecord);
      exposures.push({
        ...head,
        matched: explanation.matched,
        reason: explanation.matched ? 'the account matches' : 'the account does not match',
        account: explanation,
      });
    } else if (users !== undefined) {
      const explained = users.map((user) => {
        const explanation = explainSelector(userSelector, user.record);
        return { userId: user.userId, realm: user.realm, matched: explanation.matched, explanation };
      });
      const matched = explained.some((user) => user.matched);
      exposures.push({
        ...head,
        matched,
        reason: matched ? `the user ${email} matches` : `the user ${email} does not match`,
        users: explained,
      });
    } else {
      const matchedUsers = await countMatchingUsersInAccount(deps.db, userSelector, account.id);
      exposures.push({ ...head, matched: matchedUsers > 0, reason: `${matchedUsers} of the account's users match`, matchedUsers });
    }
  }
  return {
    incidentId,
    subdomain: account.subdomain,
    email: email ?? null,
    version: latest === undefined ? null : Number(latest.version),
    inScope: scoped !== undefined,
    categories: scoped === undefined ? [] : (JSON.parse(scoped.categories) as ExposureCategory[]),
    exposures,
  };
}
