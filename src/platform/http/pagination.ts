import { AppError } from '../../errors.js';
import { closedObject, wire, type FromSchema } from './wire-schema.js';

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
    throw new AppError('InvalidParameters', `${name} may be at most ${max}.`, { details: { [name]: [`must be at most ${max}`] } });
  return value;
}

/** The cursor of the row with this id: what `page[after]` takes back. */
export const encodeCursor = (id: number): string => Buffer.from(`id:${id}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^id:(\d{1,15})$/.exec(decoded);
  if (match?.[1] === undefined)
    throw new AppError('InvalidParameters', 'page[after] is not a cursor this API gave out; use links.next from the previous page.');
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

/** A cursor page's `meta` and `links`. */
export const cursorMetaWireSchema = closedObject({
  has_more: wire.boolean,
  after_cursor: wire.nullableString,
  before_cursor: wire.nullableString,
});
export const cursorLinksWireSchema = closedObject({ prev: wire.nullableString, next: wire.nullableString });

/**
 * The page keys `pageBody` adds: `meta` and `links` for a cursor page
 * (`page[size]`), `next_page`, `previous_page` and `count` for an offset page.
 */
export const pageLinksProperties = {
  meta: cursorMetaWireSchema,
  links: cursorLinksWireSchema,
  next_page: wire.nullableString,
  previous_page: wire.nullableString,
  count: wire.integer,
} as const;
export const PAGE_LINK_KEYS = ['meta', 'links', 'next_page', 'previous_page', 'count'] as const;
/** Each key is there only in its own style, so all are optional. */
export type PageLinksWire = FromSchema<{ type: 'object'; properties: typeof pageLinksProperties }>;

/** The answer schema of a page of either style: its rows under `key`, and the links of its style. */
export const pageAnswerSchema = <const K extends string, const S extends object>(key: K, items: S) =>
  closedObject(
    { [key]: { type: 'array', items }, ...pageLinksProperties } as { [k in K]: { type: 'array'; items: S } } & typeof pageLinksProperties,
    PAGE_LINK_KEYS,
  );
