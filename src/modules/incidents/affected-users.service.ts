import { AppError } from '../../errors.js';
import { encodeCursor, MAX_PAGE_SIZE, readPageRequest } from '../../platform/http/pagination.js';
import { maskToProducts, PRODUCTS, type Product } from '../../platform/products.js';
import { csvLine } from '../staff-access/csv.js';
import {
  ROTATION_EXEMPT_REASONS,
  ROTATION_TARGET_STATES,
  type AffectedUser,
  type AffectedUserCounts,
  type CursorPage,
  type ProductCounts,
  type RotationTarget,
  type RotationTargetState,
} from './affected-users.model.js';
import { countAffectedUsers, listAffectedUsers, nextUserIdBound, type RowWindow } from './affected-users.repo.js';
import { countRotationTargets, listRotationCampaigns, listRotationTargets, type ClassifiedCampaign } from './rotation-targets.repo.js';
import { dryRunPredicates } from './campaign-dry-run.js';
import { affectingIncident, type CustomerViewDeps } from './customer-view.service.js';
import { EXPOSURE_CATEGORIES, isAccountLevelCategory, type ExposureCategory } from './exposures.model.js';
import { exposureOf, listActiveExposures } from './exposures.repo.js';
import type { ScopeSource } from './scope.repo.js';
import { parseSelector } from './selectors/selector.model.js';

/** Users a CSV export reads per statement: one batch in memory at a time. */
export const AFFECTED_CSV_BATCH = 1_000;

/** The cursor parameters of a list request; these lists have no offset pages. */
export interface CursorQuery {
  'page[size]'?: string;
  'page[after]'?: string;
  page?: string;
  per_page?: string;
}

/**
 * The window a cursor request asks for: `page[size]` rows (100 when absent,
 * at most 100) after `page[after]`, plus one to tell whether more follow.
 * A cursor this API did not give out, a size over 100 and offset parameters
 * are refused, each saying what to send instead.
 */
export function readCursorWindow(query: CursorQuery): { size: number; window: RowWindow } {
  if (query.page !== undefined || query.per_page !== undefined)
    throw new AppError(
      'InvalidParameters',
      'This list pages by cursor: send page[size] (at most 100) and page[after] (meta.after_cursor of the previous page), or follow links.next.',
      { details: { [query.page === undefined ? 'per_page' : 'page']: ['is not supported here; use page[size] and page[after]'] } },
    );
  const request = readPageRequest({ 'page[size]': query['page[size]'] ?? String(MAX_PAGE_SIZE), 'page[after]': query['page[after]'] });
  // readPageRequest answers a cursor request whenever page[size] is given, as it always is here.
  if (request.style !== 'cursor') throw new AppError('InvalidParameters', 'Send page[size] and page[after].');
  return { size: request.size, window: { afterId: request.afterId, limit: request.size + 1 } };
}

/**
 * The page of `rows` (read with one row more than `size`), its links to
 * `url` keeping the filters: `url` comes from configuration, never from the request.
 */
export function cursorPageOf<T extends { id: number }>(
  rows: T[],
  size: number,
  url: string,
  filters: Record<string, string | undefined>,
): CursorPage<T> {
  const items = rows.slice(0, size);
  const hasMore = rows.length > size;
  const last = items.at(-1);
  const first = items[0];
  const after = hasMore && last !== undefined ? encodeCursor(last.id) : null;
  const kept = Object.entries(filters)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}&`)
    .join('');
  return {
    items,
    meta: { has_more: hasMore, after_cursor: after, before_cursor: first === undefined ? null : encodeCursor(first.id) },
    links: { prev: null, next: after === null ? null : `${url}?${kept}page[size]=${size}&page[after]=${after}` },
  };
}

/** What one request asks for: the incident, as one of the account's admins. */
export interface AccountIncident {
  incidentId: number;
  accountId: number;
}

/**
 * The user-level exposures in force, after checking that the incident's
 * latest scope includes the account (a 404 otherwise, whether the incident
 * does not exist or does not affect the account).
 */
async function userLevelSources(deps: CustomerViewDeps, request: AccountIncident): Promise<ScopeSource[]> {
  await affectingIncident(deps, request.incidentId, request.accountId);
  return (await listActiveExposures(deps.db, request.incidentId))
    .map(exposureOf)
    .filter((exposure) => !isAccountLevelCategory(exposure.category));
}

/** The state a rotation list is filtered by, or every state. */
export function readStateFilter(state: string | undefined): RotationTargetState | undefined {
  if (state === undefined) return undefined;
  const known = ROTATION_TARGET_STATES.find((candidate) => candidate === state);
  if (known === undefined)
    throw new AppError(
      'InvalidParameters',
      `state must be one of ${ROTATION_TARGET_STATES.join(', ')}; ${state.slice(0, 40)} is not one.`,
      {
        details: { state: [`must be one of ${ROTATION_TARGET_STATES.join(', ')}`] },
      },
    );
  return known;
}

/**
 * The category a list is filtered by: a user-level category (the users'
 * lists have none of the others), else every category.
 */
export function readCategoryFilter(category: string | undefined): ExposureCategory | undefined {
  if (category === undefined) return undefined;
  const known = EXPOSURE_CATEGORIES.find((candidate) => candidate === category);
  if (known === undefined || isAccountLevelCategory(known)) {
    const userLevel = EXPOSURE_CATEGORIES.filter((candidate) => !isAccountLevelCategory(candidate));
    throw new AppError(
      'InvalidParameters',
      `category must be one of ${userLevel.join(', ')}; ${category.slice(0, 40)} is not a category of users` +
        (known === undefined ? '.' : ' (its items are on the to-do list of GET /api/v2/security/incidents).'),
      { details: { category: [`must be one of ${userLevel.join(', ')}`] } },
    );
  }
  return known;
}

const presentAffectedUser = (row: Awaited<ReturnType<typeof listAffectedUsers>>[number]): AffectedUser => ({
  id: row.id,
  name: row.name,
  email: row.email,
  role: row.role,
  realm: row.realm,
  active: row.active === 1,
  sso: row.sso === 1,
  products: maskToProducts(row.products_mask),
  categories: EXPOSURE_CATEGORIES.filter((category) => row.categories.includes(category)),
});

/**
 * One page of the account's users in the incident's scope, in id order, each
 * with the categories that include them: those the live user-level
 * exposures reach in the account (a user selector compiled for the account;
 * an account selector or list: every user of the account).
 *
 * @example
 * const rows = await affectedUsers(deps, { incidentId: 1, accountId: 7 }, { afterId: null, limit: 101 }, 'password_hashes');
 * // [{ id: 41, email: 'ana@acme.test', categories: ['password_hashes'], products: ['support', 'chat'], ... }]
 */
export async function affectedUsers(
  deps: CustomerViewDeps,
  request: AccountIncident,
  window: RowWindow,
  category?: ExposureCategory,
): Promise<AffectedUser[]> {
  const sources = (await userLevelSources(deps, request)).filter((source) => category === undefined || source.category === category);
  return (await listAffectedUsers(deps.db, request.accountId, sources, window)).map(presentAffectedUser);
}

async function classifiedCampaigns(deps: CustomerViewDeps, incidentId: number): Promise<ClassifiedCampaign[]> {
  return (await listRotationCampaigns(deps.db, incidentId)).map((row) => {
    const selector = parseSelector(JSON.parse(row.selector));
    return { ...row, selector, predicates: dryRunPredicates(selector) };
  });
}

/**
 * One page of the users the incident's rotation campaigns are about in the
 * account, in id order, with where each stands (`affected-users.model.ts`);
 * `state` filters.
 *
 * @example
 * const rows = await rotationTargets(deps, { incidentId: 1, accountId: 7 }, { afterId: null, limit: 101 });
 * // [{ id: 41, state: 'pending', exempt_reason: null, ... }, { id: 43, state: 'exempt', exempt_reason: 'sso', ... }]
 */
export async function rotationTargets(
  deps: CustomerViewDeps,
  request: AccountIncident,
  window: RowWindow,
  state?: RotationTargetState,
): Promise<RotationTarget[]> {
  await affectingIncident(deps, request.incidentId, request.accountId);
  const campaigns = await classifiedCampaigns(deps, request.incidentId);
  if (campaigns.length === 0) return [];
  return listRotationTargets(deps.db, request.incidentId, request.accountId, campaigns, window, state);
}

const productCounts = (counts: Record<Product, number>): ProductCounts =>
  Object.fromEntries(PRODUCTS.map((product) => [product, counts[product]])) as ProductCounts;

/**
 * The account's users in scope counted per product, overall and per
 * category, and its rotation targets per state and exempt reason.
 *
 * @example
 * const counts = await affectedUserCounts(deps, { incidentId: 1, accountId: 7 });
 * counts.affected_users.by_product.support; // 412
 * counts.rotation_targets.by_state.pending; // 12
 */
export async function affectedUserCounts(deps: CustomerViewDeps, request: AccountIncident): Promise<AffectedUserCounts> {
  const sources = await userLevelSources(deps, request);
  const campaigns = await classifiedCampaigns(deps, request.incidentId);
  const [users, targets] = await Promise.all([
    countAffectedUsers(deps.db, request.accountId, sources),
    campaigns.length === 0 ? Promise.resolve([]) : countRotationTargets(deps.db, request.incidentId, request.accountId, campaigns),
  ]);
  const byCategory = new Map(users.byCategory.map((row) => [row.category, row]));
  const exposed = EXPOSURE_CATEGORIES.filter((category) => sources.some((source) => source.category === category));
  const byState = Object.fromEntries(ROTATION_TARGET_STATES.map((state) => [state, 0])) as Record<RotationTargetState, number>;
  const exempt = Object.fromEntries(
    ROTATION_EXEMPT_REASONS.map((reason) => [reason, 0]),
  ) as AffectedUserCounts['rotation_targets']['exempt'];
  for (const row of targets) {
    byState[row.state] += row.users;
    if (row.state === 'exempt' && row.exempt_reason !== null) exempt[row.exempt_reason] += row.users;
  }
  const zero = Object.fromEntries(PRODUCTS.map((product) => [product, 0])) as ProductCounts;
  return {
    affected_users: {
      users: users.overall.users,
      by_product: productCounts(users.overall.byProduct),
      by_category: exposed.map((category) => {
        const row = byCategory.get(category);
        return { category, users: row?.users ?? 0, by_product: row === undefined ? zero : productCounts(row.byProduct) };
      }),
    },
    rotation_targets: { users: targets.reduce((sum, row) => sum + row.users, 0), by_state: byState, exempt },
  };
}

/** The columns of `affected_users.csv`, in order. */
export const AFFECTED_USERS_CSV_HEADER = ['id', 'name', 'email', 'role', 'realm', 'active', 'sso', 'products', 'categories'] as const;

/** The columns of `rotation_targets.csv`, in order. */
export const ROTATION_TARGETS_CSV_HEADER = [
  'id',
  'name',
  'email',
  'role',
  'realm',
  'state',
  'exempt_reason',
  'flagged_at',
  'password_changed_at',
] as const;

/**
 * Reads every row in batches of the account's next `AFFECTED_CSV_BATCH` users
 * by id, one statement each after a look-up of the batch's last id, so an
 * export of any size holds one batch at a time and reads each user once.
 */
async function* inBatches<T>(
  deps: CustomerViewDeps,
  accountId: number,
  batchSize: number,
  read: (window: RowWindow) => Promise<T[]>,
): AsyncGenerator<T> {
  let afterId: number | null = null;
  for (;;) {
    const upTo = await nextUserIdBound(deps.db, accountId, afterId, batchSize);
    if (upTo === undefined) return;
    yield* await read({ afterId, upTo, limit: batchSize });
    afterId = upTo;
  }
}

/**
 * Every user in scope as CSV lines, header first (`AFFECTED_USERS_CSV_HEADER`;
 * products and categories space-separated). The incident is checked before
 * the first line, so a refusal is an error answer, never a half-sent file.
 */
export async function affectedUsersCsv(
  deps: CustomerViewDeps,
  request: AccountIncident,
  category?: ExposureCategory,
  batchSize = AFFECTED_CSV_BATCH,
): Promise<AsyncGenerator<string>> {
  const sources = (await userLevelSources(deps, request)).filter((source) => category === undefined || source.category === category);
  return (async function* lines() {
    yield csvLine(AFFECTED_USERS_CSV_HEADER);
    for await (const row of inBatches(deps, request.accountId, batchSize, (window) =>
      listAffectedUsers(deps.db, request.accountId, sources, window),
    )) {
      const user = presentAffectedUser(row);
      yield csvLine([
        user.id,
        user.name,
        user.email,
        user.role,
        user.realm,
        user.active,
        user.sso,
        user.products.join(' '),
        user.categories.join(' '),
      ]);
    }
  })();
}

/** Every rotation target with its state as CSV lines, header first (`ROTATION_TARGETS_CSV_HEADER`); checked before the first line. */
export async function rotationTargetsCsv(
  deps: CustomerViewDeps,
  request: AccountIncident,
  state?: RotationTargetState,
  batchSize = AFFECTED_CSV_BATCH,
): Promise<AsyncGenerator<string>> {
  await affectingIncident(deps, request.incidentId, request.accountId);
  const campaigns = await classifiedCampaigns(deps, request.incidentId);
  return (async function* lines() {
    yield csvLine(ROTATION_TARGETS_CSV_HEADER);
    if (campaigns.length === 0) return;
    const read = (window: RowWindow) => listRotationTargets(deps.db, request.incidentId, request.accountId, campaigns, window, state);
    for await (const target of inBatches(deps, request.accountId, batchSize, read))
      yield csvLine([
        target.id,
        target.name,
        target.email,
        target.role,
        target.realm,
        target.state,
        target.exempt_reason,
        target.flagged_at,
        target.password_changed_at,
      ]);
  })();
}

/**
 * One cursor page of the users in scope for `GET …/affected_users.json`,
 * filtered by `category`, its links pointing at `url` (from configuration).
 */
export async function affectedUsersPage(
  deps: CustomerViewDeps,
  request: AccountIncident,
  query: CursorQuery & { category?: string },
  url: string,
): Promise<CursorPage<AffectedUser>> {
  const category = readCategoryFilter(query.category);
  const { size, window } = readCursorWindow(query);
  return cursorPageOf(await affectedUsers(deps, request, window, category), size, url, { category });
}

/**
 * One cursor page of the rotation targets for `GET …/rotation_targets.json`,
 * filtered by `state`, its links pointing at `url` (from configuration).
 */
export async function rotationTargetsPage(
  deps: CustomerViewDeps,
  request: AccountIncident,
  query: CursorQuery & { state?: string },
  url: string,
): Promise<CursorPage<RotationTarget>> {
  const state = readStateFilter(query.state);
  const { size, window } = readCursorWindow(query);
  return cursorPageOf(await rotationTargets(deps, request, window, state), size, url, { state });
}
