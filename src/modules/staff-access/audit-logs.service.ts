import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { readPageRequest, type PageRequest } from '../../platform/http/pagination.js';
import { csvLine } from './csv.js';
import { actorNames, countAuditEvents, listAuditEvents, type AuditLogFilter, type AuditLogRow } from './audit-logs.repo.js';
import type { AuditLogQuery, AuditLogView } from './audit-logs.schema.js';

const ACTOR_TYPES = ['system', 'cli', 'user', 'staff', 'api_token', 'oauth_token'] as const;
const CSV_BATCH = 1_000;

const badFilter = (name: string, message: string): AppError =>
  new AppError('InvalidParameters', `${name} ${message}.`, { details: { [name]: [message] } });

function isoBound(name: string, value: string): string {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time))
    throw badFilter(name, `must be two ISO 8601 times such as 2026-01-01T00:00:00Z; "${value}" is not one`);
  return new Date(time).toISOString();
}

/**
 * The filter of an audit log request, checked: `filter[action]` and
 * `filter[actor_type]` exact, `filter[created_at][]` two ISO times (an
 * inclusive range, in either order).
 *
 * @example
 * readAuditLogFilter(7, { 'filter[action]': 'staff.read', 'filter[created_at][]': ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'] });
 */
export function readAuditLogFilter(accountId: number, query: AuditLogQuery, actions?: readonly string[]): AuditLogFilter {
  const filter: AuditLogFilter = { accountId };
  const action = query['filter[action]'];
  if (action !== undefined) filter.actions = actions === undefined || actions.includes(action) ? [action] : [];
  else if (actions !== undefined) filter.actions = actions;
  const actorType = query['filter[actor_type]'];
  if (actorType !== undefined) {
    if (!(ACTOR_TYPES as readonly string[]).includes(actorType))
      throw badFilter('filter[actor_type]', `must be one of ${ACTOR_TYPES.join(', ')}`);
    filter.actorType = actorType;
  }
  if (query['filter[source_type]'] !== undefined) filter.sourceType = query['filter[source_type]'];
  if (query['filter[source_id]'] !== undefined) filter.sourceId = query['filter[source_id]'];
  const range = query['filter[created_at][]'];
  if (range !== undefined) {
    const [first, second] = range;
    if (first === undefined || second === undefined)
      throw badFilter('filter[created_at][]', 'needs two values, the start and the end of the range (repeat the parameter)');
    const bounds = [isoBound('filter[created_at][]', first), isoBound('filter[created_at][]', second)].sort();
    filter.createdFrom = bounds[0];
    filter.createdTo = bounds[1];
  }
  return filter;
}

const numericOrText = (value: string | null): number | string | null =>
  value !== null && /^\d{1,15}$/.test(value) ? Number(value) : value;

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text ?? null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Who reads a trail: the account itself sees everything; the vendor's
 * operators without a grant see no personal data (no personal values, no
 * names of the account's users), only what happened, when and by which ids.
 */
export type AuditLogReader = 'account' | 'operator_without_grant';

/** The rows as Zendesk audit logs, with the names of the people behind them (two reads per page). */
export async function presentAuditLogs(
  db: Queryable,
  accountId: number,
  rows: readonly AuditLogRow[],
  reader: AuditLogReader = 'account',
): Promise<AuditLogView[]> {
  const idsOf = (type: string) => [
    ...new Set(rows.filter((row) => row.actor_type === type && /^\d{1,15}$/.test(row.actor_id ?? '')).map((row) => Number(row.actor_id))),
  ];
  const personal = reader === 'account';
  const names = await actorNames(db, accountId, { users: personal ? idsOf('user') : [], staff: idsOf('staff') });
  return rows.map((row) => {
    const actorId = numericOrText(row.actor_id);
    const actorName = typeof actorId !== 'number' ? null : ((row.actor_type === 'staff' ? names.staff : names.users).get(actorId) ?? null);
    const view: AuditLogView = {
      id: Number(row.seq),
      action: row.action,
      actor_id: actorId,
      actor_type: row.actor_type,
      actor_name: row.actor_type === 'user' || row.actor_type === 'staff' ? actorName : null,
      source_type: row.target_type,
      source_id: numericOrText(row.target_id),
      created_at: row.occurred_at,
      data: (parseJson(row.data) ?? {}) as Record<string, unknown>,
    };
    if (personal && 'personal_data' in row) view.personal_data = parseJson(row.personal_data);
    return view;
  });
}

/** One page of an account's audit trail, newest first unless `sort=created_at`, with links that keep the filters. */
export async function auditLogPage(
  db: Queryable,
  filter: AuditLogFilter,
  query: AuditLogQuery,
  url: string,
  key = 'audit_logs',
  reader: AuditLogReader = 'account',
): Promise<Record<string, unknown>> {
  const page: PageRequest = readPageRequest(query);
  const order = query.sort === 'created_at' ? 'asc' : 'desc';
  const size = page.style === 'cursor' ? page.size : page.perPage;
  const rows = await listAuditEvents(db, filter, {
    afterSeq: page.style === 'cursor' ? page.afterId : null,
    offset: page.style === 'offset' ? (page.page - 1) * page.perPage : 0,
    limit: size + 1,
    order,
  });
  const hasMore = rows.length > size;
  const items = await presentAuditLogs(db, filter.accountId, rows.slice(0, size), reader);
  const linkTo = (params: Record<string, string>): string => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (!['page[size]', 'page[after]', 'page', 'per_page'].includes(key))
        for (const one of [value as string].flat()) search.append(key, one);
    for (const [key, value] of Object.entries(params)) search.append(key, value);
    return `${url}?${search.toString()}`;
  };
  const cursorOf = (id: number): string => Buffer.from(`id:${id}`).toString('base64url');
  if (page.style === 'cursor') {
    const last = items.at(-1);
    const first = items[0];
    const after = hasMore && last !== undefined ? cursorOf(last.id) : null;
    return {
      [key]: items,
      meta: { has_more: hasMore, after_cursor: after, before_cursor: first === undefined ? null : cursorOf(first.id) },
      links: { prev: null, next: after === null ? null : linkTo({ 'page[size]': String(size), 'page[after]': after }) },
    };
  }
  return {
    [key]: items,
    next_page: hasMore ? linkTo({ page: String(page.page + 1), per_page: String(size) }) : null,
    previous_page: page.page > 1 ? linkTo({ page: String(page.page - 1), per_page: String(size) }) : null,
    count: await countAuditEvents(db, filter),
  };
}

export const AUDIT_CSV_HEADER = [
  'id',
  'created_at',
  'action',
  'actor_type',
  'actor_id',
  'actor_name',
  'source_type',
  'source_id',
  'data',
  'personal_data',
] as const;

/**
 * The filtered trail as CSV lines (header first), read in batches by sequence
 * so an export of any size holds one batch in memory at a time.
 */
export async function* auditLogCsv(
  db: Queryable,
  filter: AuditLogFilter,
  order: 'asc' | 'desc' = 'asc',
  reader: AuditLogReader = 'account',
): AsyncGenerator<string> {
  yield csvLine(AUDIT_CSV_HEADER);
  let afterSeq: number | null = null;
  for (;;) {
    const rows = await listAuditEvents(db, filter, { afterSeq, offset: 0, limit: CSV_BATCH, order });
    for (const view of await presentAuditLogs(db, filter.accountId, rows, reader))
      yield csvLine([
        view.id,
        view.created_at,
        view.action,
        view.actor_type,
        view.actor_id,
        view.actor_name,
        view.source_type,
        view.source_id,
        JSON.stringify(view.data),
        view.personal_data === undefined || view.personal_data === null ? null : JSON.stringify(view.personal_data),
      ]);
    const last = rows.at(-1);
    if (last === undefined || rows.length < CSV_BATCH) return;
    afterSeq = Number(last.seq);
  }
}
