import type { Queryable } from '../../db/database.js';

export interface StateCountRow {
  purpose: string;
  state: string;
  messages: number;
}

/** The incident's messages by purpose and state: one grouped statement. */
export async function countIncidentMessages(db: Queryable, incidentId: number): Promise<StateCountRow[]> {
  const rows = await db
    .selectFrom('messages')
    .select((eb) => ['purpose', 'state', eb.fn.countAll<number>().as('messages')])
    .where('incident_id', '=', incidentId)
    .groupBy(['purpose', 'state'])
    .execute();
  return rows.map((row) => ({ purpose: row.purpose, state: row.state, messages: Number(row.messages) }));
}

export interface AccountCountRow {
  account_id: number;
  subdomain: string;
  sent: number;
  pending: number;
  failed: number;
}

/** Per account, a page in account id order: sent, pending (queued or being sent) and failed. */
export async function countIncidentMessagesByAccount(
  db: Queryable,
  incidentId: number,
  page: { afterId: number | null; offset: number; limit: number },
): Promise<AccountCountRow[]> {
  let query = db
    .selectFrom('messages')
    .innerJoin('accounts', 'accounts.id', 'messages.account_id')
    .select((eb) => [
      'messages.account_id',
      'accounts.subdomain',
      eb.fn.sum<number>(eb.case().when('messages.state', '=', 'sent').then(1).else(0).end()).as('sent'),
      eb.fn.sum<number>(eb.case().when('messages.state', 'in', ['queued', 'sending']).then(1).else(0).end()).as('pending'),
      eb.fn.sum<number>(eb.case().when('messages.state', '=', 'failed').then(1).else(0).end()).as('failed'),
    ])
    .where('messages.incident_id', '=', incidentId)
    .groupBy(['messages.account_id', 'accounts.subdomain'])
    .orderBy('messages.account_id')
    .limit(page.limit)
    .offset(page.offset);
  if (page.afterId !== null) query = query.where('messages.account_id', '>', page.afterId);
  const rows = await query.execute();
  return rows.map((row) => ({
    account_id: Number(row.account_id),
    subdomain: row.subdomain,
    sent: Number(row.sent),
    pending: Number(row.pending),
    failed: Number(row.failed),
  }));
}

export async function countIncidentAccounts(db: Queryable, incidentId: number): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.count<number>('account_id').distinct().as('n'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface FailedMessageRow {
  account_id: number;
  id: number;
  purpose: string;
  recipient: string;
  attempts: number;
  last_error: string | null;
  last_response: string | null;
}

/** The incident's failed messages, of some accounts or all, in (account, id) order. */
export async function listFailedIncidentMessages(
  db: Queryable,
  incidentId: number,
  options: { accountIds?: readonly number[]; limit: number },
): Promise<FailedMessageRow[]> {
  if (options.accountIds?.length === 0) return [];
  let query = db
    .selectFrom('messages')
    .select(['account_id', 'id', 'purpose', 'recipient', 'attempts', 'last_error', 'last_response'])
    .where('incident_id', '=', incidentId)
    .where('state', '=', 'failed');
  if (options.accountIds !== undefined) query = query.where('account_id', 'in', options.accountIds);
  return query.orderBy('account_id').orderBy('id').limit(options.limit).execute();
}
