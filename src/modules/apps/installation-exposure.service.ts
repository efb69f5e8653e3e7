import type { Queryable } from '../../db/database.js';
import { invalid } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findMarketplaceApp } from './app-definition.js';
import { findPrivateAppsByIds } from './apps.repo.js';
import { findExposedInstallations, findStaleSecrets } from './installations.repo.js';

/**
 * The app keys a customer must rotate after a breach: installations made
 * before a cutoff whose secure settings have not been set since. For the
 * incident engine's per-customer to-do list ("rotate the Slack token of the
 * installation of 2016-02-01") and its cross-account counts.
 */
export interface InstallationExposure {
  accountId: number;
  installationId: number;
  appId: number;
  appName: string;
  product: string;
  enabled: boolean;
  installedAt: string;
  /** The secure settings last set before the cutoff, by name, with when they were set. */
  staleSecrets: Array<{ field: string; setAt: string }>;
}

export const DEFAULT_EXPOSURE_PAGE = 1_000;
const MAX_EXPOSURE_PAGE = 5_000;

type Deps = Pick<ServiceDeps, 'db' | 'handle'>;

function cutoffOf(before: string): string {
  const time = Date.parse(before);
  if (Number.isNaN(time))
    throw invalid('The cutoff must be an ISO-8601 timestamp such as 2016-11-01T00:00:00Z.', { before: ['is not a timestamp'] });
  return new Date(time).toISOString();
}

/** Names the apps and attaches the stale secrets of one page of exposed installations: two reads. */
async function describePage(deps: Deps, db: Queryable, before: string, rows: Awaited<ReturnType<typeof findExposedInstallations>>) {
  if (rows.length === 0) return [];
  const accountIds = [...new Set(rows.map((row) => Number(row.account_id)))];
  const installationIds = rows.map((row) => Number(row.id));
  const stale = await findStaleSecrets(db, before, accountIds, installationIds);
  const privateIds = [...new Set(rows.map((row) => Number(row.app_id)).filter((appId) => findMarketplaceApp(appId) === undefined))];
  const privateApps = await findPrivateAppsByIds(db, accountIds, privateIds, deps.handle.capabilities.maxParameters);
  const privateNames = new Map(privateApps.map((app) => [`${app.account_id}:${app.id}`, app.name]));
  const staleOf = new Map<string, Array<{ field: string; setAt: string }>>();
  for (const secret of stale) {
    const key = `${secret.account_id}:${secret.installation_id}`;
    staleOf.set(key, [...(staleOf.get(key) ?? []), { field: secret.field, setAt: secret.set_at }]);
  }
  return rows.map((row): InstallationExposure => ({
    accountId: Number(row.account_id),
    installationId: Number(row.id),
    appId: Number(row.app_id),
    appName: findMarketplaceApp(Number(row.app_id))?.name ?? privateNames.get(`${row.account_id}:${row.app_id}`) ?? `app ${row.app_id}`,
    product: row.product,
    enabled: Number(row.enabled) === 1,
    installedAt: row.created_at,
    staleSecrets: staleOf.get(`${row.account_id}:${row.id}`) ?? [],
  }));
}

/**
 * One account's exposed installations, oldest id first.
 *
 * @example
 * const actions = await installationExposureForAccount(deps, account.id, '2016-11-01T00:00:00Z');
 * // [{ appName: 'Slack', installedAt: '2016-02-01T00:00:00.000Z', staleSecrets: [{ field: 'api_token', setAt: '2016-02-01T00:00:00.000Z' }], ... }]
 */
export async function installationExposureForAccount(deps: Deps, accountId: number, before: string): Promise<InstallationExposure[]> {
  const cutoff = cutoffOf(before);
  const exposures: InstallationExposure[] = [];
  let after: { accountId: number; installationId: number } | undefined;
  for (;;) {
    const rows = await findExposedInstallations(deps.db, { before: cutoff, accountId, after, limit: DEFAULT_EXPOSURE_PAGE });
    exposures.push(...(await describePage(deps, deps.db, cutoff, rows)));
    const last = rows.at(-1);
    if (last === undefined || rows.length < DEFAULT_EXPOSURE_PAGE) return exposures;
    after = { accountId: Number(last.account_id), installationId: Number(last.id) };
  }
}

export interface ExposurePage {
  exposures: InstallationExposure[];
  /** Pass back as `after` for the next page; undefined when this was the last. */
  next: { accountId: number; installationId: number } | undefined;
}

/**
 * The exposed installations of every account, a page at a time in (account,
 * installation) order: one statement per page over the whole table, never a
 * query per account.
 *
 * @example
 * let page = await installationExposureAcrossAccounts(deps, { before: '2016-11-01T00:00:00Z' });
 * while (page.next !== undefined) page = await installationExposureAcrossAccounts(deps, { before, after: page.next });
 */
export async function installationExposureAcrossAccounts(
  deps: Deps,
  options: { before: string; after?: { accountId: number; installationId: number }; limit?: number },
): Promise<ExposurePage> {
  const cutoff = cutoffOf(options.before);
  const limit = Math.min(Math.max(1, options.limit ?? DEFAULT_EXPOSURE_PAGE), MAX_EXPOSURE_PAGE);
  const rows = await findExposedInstallations(deps.db, { before: cutoff, accountId: undefined, after: options.after, limit });
  const exposures = await describePage(deps, deps.db, cutoff, rows);
  const last = rows.at(-1);
  return {
    exposures,
    next: last === undefined || rows.length < limit ? undefined : { accountId: Number(last.account_id), installationId: Number(last.id) },
  };
}
