import { isIPv4, isIPv6 } from 'node:net';
import type { Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { SignInEventsTable } from '../../db/schema.js';

export type SignInEventRow = Selectable<SignInEventsTable>;

/** Retention: the events that occurred before `cutoff`, at most `limit` of them. */
export async function deleteSignInEventsBefore(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const ids = db.selectFrom('sign_in_events').select('id').where('occurred_at', '<', cutoff).limit(limit);
  const result = await db.deleteFrom('sign_in_events').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countSignInEventsBefore(db: Queryable, cutoff: string): Promise<number> {
  const row = await db
    .selectFrom('sign_in_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('occurred_at', '<', cutoff)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * An address cut to its network, which is what an old event keeps: IPv4 to
 * its /24, IPv6 to its /48 (an IPv4-mapped IPv6 address as IPv4). Anything
 * else (already cut, or not an address) is kept as it is.
 *
 * @example
 * truncatedAddress('203.0.113.77'); // '203.0.113.0/24'
 */
export function truncatedAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const v4 = mapped ?? ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = ip.includes('::') && tail !== '' ? tail.split(':') : [];
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 3)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/48`;
}

const isTruncated = (ip: string): boolean => ip.includes('/');

/** Retention: cuts the addresses of events older than `cutoff` to their network; at most `limit` rows. */
export async function truncateSignInAddressesBefore(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const rows = await db
    .selectFrom('sign_in_events')
    .select(['id', 'ip'])
    .where('occurred_at', '<', cutoff)
    .where('ip', 'is not', null)
    .where('ip', 'not like', '%/%')
    .orderBy('occurred_at')
    .limit(limit)
    .execute();
  const byNetwork = new Map<string, number[]>();
  for (const row of rows) {
    if (row.ip === null || isTruncated(row.ip)) continue;
    const network = truncatedAddress(row.ip);
    // Not an address: marked so that it is not read again, never kept whole.
    const kept = network === row.ip ? `${row.ip.slice(0, 40)}/?` : network;
    byNetwork.set(kept, [...(byNetwork.get(kept) ?? []), Number(row.id)]);
  }
  for (const [network, ids] of byNetwork) await db.updateTable('sign_in_events').set({ ip: network }).where('id', 'in', ids).execute();
  return rows.length;
}

/** The addresses `truncateSignInAddressesBefore` would cut; those of events deleted before (older than `keptFrom`) are not counted. */
export async function countSignInAddressesBefore(db: Queryable, cutoff: string, keptFrom: string): Promise<number> {
  const row = await db
    .selectFrom('sign_in_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('occurred_at', '<', cutoff)
    .where('occurred_at', '>=', keptFrom)
    .where('ip', 'is not', null)
    .where('ip', 'not like', '%/%')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Erasure: a user's events, by id and by the email attempts named. */
export async function eraseSignInEventsOf(db: Queryable, accountId: number, userId: number, email: string): Promise<number> {
  const result = await db
    .deleteFrom('sign_in_events')
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('user_id', '=', userId), eb('identifier', '=', email.toLowerCase())]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface SignInEventFilter {
  accountId: number;
  userId?: number;
  channel?: string;
  outcome?: string;
  /** Inclusive lower bound of `occurred_at`. */
  since?: string;
  /** Exclusive upper bound of `occurred_at`. */
  until?: string;
  /** Newest first: the cursor is the last row's (occurred_at, id). */
  before?: { occurredAt: string; id: number };
  limit: number;
}

/** An account's events, newest first, filtered; one indexed range read. */
export async function listSignInEvents(db: Queryable, filter: SignInEventFilter): Promise<SignInEventRow[]> {
  let query = db.selectFrom('sign_in_events').selectAll().where('account_id', '=', filter.accountId);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.since !== undefined) query = query.where('occurred_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('occurred_at', '<', filter.until);
  const before = filter.before;
  if (before !== undefined)
    query = query.where((eb) =>
      eb.or([eb('occurred_at', '<', before.occurredAt), eb.and([eb('occurred_at', '=', before.occurredAt), eb('id', '<', before.id)])]),
    );
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
