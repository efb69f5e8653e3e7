import { AppError } from '../../../errors.js';
import { MAX_PAGE_SIZE } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { listSignInEvents } from '../../../platform/sign-in-events/sign-in-events.repo.js';
import { normaliseTimestamp } from '../../../platform/timestamps.js';
import { presentSignInEvent, type SignInEventReader, type SignInEventsPageWire, type SignInEventsQuery } from './sign-in-events.schema.js';

type Deps = Pick<ServiceDeps, 'db' | 'signInEvents'>;

const badParameter = (name: string, description: string): AppError =>
  new AppError('InvalidParameters', `${name} ${description}.`, { details: { [name]: [description] } });

function instant(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const normalised = normaliseTimestamp(raw);
  if (normalised === undefined) throw badParameter(name, 'must be an ISO-8601 time with its zone, such as 2026-06-01T00:00:00Z');
  return normalised;
}

const encodeCursor = (occurredAt: string, id: number): string => Buffer.from(`${occurredAt}|${id}`).toString('base64url');

function decodeCursor(cursor: string): { occurredAt: string; id: number } {
  const [occurredAt = '', id = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (normaliseTimestamp(occurredAt) !== occurredAt || !/^\d{1,15}$/.test(id))
    throw badParameter('page[after]', 'is not a cursor this API gave out; use links.next from the previous page');
  return { occurredAt, id: Number(id) };
}

/**
 * One page of an account's sign-in events, newest first, with the filters
 * of `SignInEventsQuery`. Attempts still waiting in this process's writer
 * are written first, so a reader sees every attempt made before the call.
 *
 * @example
 * await signInEventsPage(deps, account.id, { user_id: '7', outcome: 'failed' }, 'https://acme.example/api/v2/security/sign_in_events.json');
 */
export async function signInEventsPage(
  deps: Deps,
  accountId: number,
  query: SignInEventsQuery,
  url: string,
  reader: SignInEventReader = 'account',
): Promise<SignInEventsPageWire> {
  const since = instant('since', query.since);
  const until = instant('until', query.until);
  if (since !== undefined && until !== undefined && since >= until) throw badParameter('until', 'must be after since');
  const size = query['page[size]'] === undefined ? MAX_PAGE_SIZE : Number(query['page[size]']);
  if (size > MAX_PAGE_SIZE) throw badParameter('page[size]', `may be at most ${MAX_PAGE_SIZE}`);
  await deps.signInEvents.flush();
  const rows = await listSignInEvents(deps.db, {
    accountId,
    ...(query.user_id === undefined ? {} : { userId: Number(query.user_id) }),
    ...(query.channel === undefined ? {} : { channel: query.channel }),
    ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(query['page[after]'] === undefined ? {} : { before: decodeCursor(query['page[after]']) }),
    limit: size + 1,
  });
  const page = rows.slice(0, size);
  const last = page.at(-1);
  const after = rows.length > size && last !== undefined ? encodeCursor(last.occurred_at, Number(last.id)) : null;
  const next = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (key !== 'page[after]' && typeof value === 'string') next.append(key, value);
  if (after !== null) next.set('page[after]', after);
  return {
    sign_in_events: page.map((row) => presentSignInEvent(row, reader)),
    meta: { has_more: after !== null, after_cursor: after },
    links: { next: after === null ? null : `${url}?${next.toString()}` },
  };
}
