import { AppError } from '../../errors.js';

/**
 * Zendesk's two pagination styles over an id-ordered list:
 * cursor (`page[size]`, `page[after]`, answered with `meta` and `links`) and
 * offset (`page`, `per_page`, answered with `next_page`, `previous_page`, `count`).
 */
export type PageRequest = { style: 'cursor'; size: number; afterId: number | null } | { style: 'offset'; page: number; perPage: number };

export const MAX_PAGE_SIZE = 100;

// Numbers arrive as digit strings: Ajv's coercion would turn "1e400" into Infinity.
const positiveCount = { type: 'string', pattern: '^[1-9][0-9]{0,5}$' } as const;

export const paginationQuerySchema = {
  'page[size]': positiveCount,
  'page[after]': { type: 'string', maxLength: 64 },
  page: positiveCount,
  per_page: positiveCount,
} as const;

export interface PaginationQuery {
  'page[size]'?: string;
  'page[after]'?: string;
  page?: string;
  per_page?: string;
}

function boundedCount(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (value > max)
    throw new AppError('InvalidParameters', 400, `${name} may be at most ${max}.`, { details: { [name]: [`must be at most ${max}`] } });
  return value;
}

const encodeCursor = (id: number): string => Buffer.from(`id:${id}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^id:(\d{1,15})$/.exec(decoded);
  if (match?.[1] === undefined)
    throw new AppError('InvalidParameters', 400, 'page[after] is not a cursor this API gave out; use links.next from the previous page.');
  return Number(match[1]);
}

export function readPageRequest(query: PaginationQuery): PageRequest {
  if (query['page[size]'] !== undefined || query['page[after]'] !== undefined) {
    return {
      style: 'cursor',
      size: boundedCount(query['page[size]'], 'page[size]', MAX_PAGE_SIZE, MAX_PAGE_SIZE),
      afterId: query['page[after]'] === undefined ? null : decodeCursor(query['page[after]']),
    };
  }
  return {
    style: 'offset',
    page: boundedCount(query.page, 'page', 1, 100_000),
    perPage: boundedCount(query.per_page, 'per_page', MAX_PAGE_SIZE, MAX_PAGE_SIZE),
  };
}

/** The rows to fetch: one more than the page, to know whether another follows. */
export function pageWindow(request: PageRequest): { afterId: number | null; offset: number; limit: number } {
  return request.style === 'cursor'
    ? { afterId: request.afterId, offset: 0, limit: request.size + 1 }
    : { afterId: null, offset: (request.page - 1) * request.perPage, limit: request.perPage + 1 };
}

/** Builds the page body under `key`, with the links of its style. */
export function pageBody<T extends { id: number }>(
  key: string,
  rows: T[],
  request: PageRequest,
  baseUrl: string,
  count: () => Promise<number>,
): Promise<Record<string, unknown>> {
  const size = request.style === 'cursor' ? request.size : request.perPage;
  const hasMore = rows.length > size;
  const items = rows.slice(0, size);
  if (request.style === 'cursor') {
    const last = items.at(-1);
    const first = items[0];
    const afterCursor = hasMore && last !== undefined ? encodeCursor(last.id) : null;
    return Promise.resolve({
      [key]: items,
      meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: first === undefined ? null : encodeCursor(first.id) },
      links: { prev: null, next: afterCursor === null ? null : `${baseUrl}?page[size]=${size}&page[after]=${afterCursor}` },
    });
  }
  return count().then((total) => ({
    [key]: items,
    next_page: hasMore ? `${baseUrl}?page=${request.page + 1}&per_page=${size}` : null,
    previous_page: request.page > 1 ? `${baseUrl}?page=${request.page - 1}&per_page=${size}` : null,
    count: total,
  }));
}
