import type { Queryable } from '../../db/database.js';

/** The channels on which a password, and so the exposed one, is presented. */
export const PASSWORD_CHANNELS = ['web', 'password_basic'] as const;
export type PasswordChannel = (typeof PASSWORD_CHANNELS)[number];

export interface PasswordSignInRow {
  user_id: number;
  occurred_at: string;
  attempts: number;
  ip: string | null;
  user_agent: string | null;
  channel: PasswordChannel;
}

/**
 * The successful password sign-ins of the incident's rotation targets in one
 * account, from `from` until each target was flagged (or `until` while it is
 * not yet): each was made with the password in place before the cutoff, the
 * exposed one.
 */
export async function listPasswordSignInsBeforeRotation(
  db: Queryable,
  input: { incidentId: number; accountId: number; from: string; until: string },
): Promise<PasswordSignInRow[]> {
  const rows = await db
    .selectFrom('sign_in_events')
    .innerJoin('campaign_targets', (join) =>
      join
        .onRef('campaign_targets.account_id', '=', 'sign_in_events.account_id')
        .onRef('campaign_targets.user_id', '=', 'sign_in_events.user_id'),
    )
    .innerJoin('rotation_campaigns', 'rotation_campaigns.id', 'campaign_targets.campaign_id')
    .where('rotation_campaigns.incident_id', '=', input.incidentId)
    .where('sign_in_events.account_id', '=', input.accountId)
    .where('sign_in_events.outcome', '=', 'succeeded')
    .where('sign_in_events.channel', 'in', PASSWORD_CHANNELS)
    .where('sign_in_events.occurred_at', '>=', input.from)
    .where((eb) =>
      eb.or([
        eb('campaign_targets.flagged_at', 'is', null).and('sign_in_events.occurred_at', '<', input.until),
        eb('sign_in_events.occurred_at', '<', eb.ref('campaign_targets.flagged_at')),
      ]),
    )
    // A user targeted by two campaigns of the incident counts once.
    .select([
      'sign_in_events.id',
      'sign_in_events.user_id',
      'sign_in_events.occurred_at',
      'sign_in_events.attempts',
      'sign_in_events.ip',
      'sign_in_events.user_agent',
      'sign_in_events.channel',
    ])
    .distinct()
    .orderBy('sign_in_events.occurred_at')
    .orderBy('sign_in_events.id')
    .execute();
  return rows.map((row) => ({
    user_id: Number(row.user_id),
    occurred_at: row.occurred_at,
    attempts: Number(row.attempts),
    ip: row.ip,
    user_agent: row.user_agent,
    channel: row.channel as PasswordChannel,
  }));
}

/** The sources each of these users succeeded from before `before`, on any channel: what counts as familiar. */
export async function listKnownSources(
  db: Queryable,
  accountId: number,
  userIds: readonly number[],
  before: string,
): Promise<Array<{ user_id: number; ip: string | null; user_agent: string | null }>> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom('sign_in_events')
    .where('account_id', '=', accountId)
    .where('user_id', 'in', userIds)
    .where('outcome', '=', 'succeeded')
    .where('occurred_at', '<', before)
    .select(['user_id', 'ip', 'user_agent'])
    .distinct()
    .execute();
  return rows.map((row) => ({ user_id: Number(row.user_id), ip: row.ip, user_agent: row.user_agent }));
}

/** When the account's oldest kept event occurred: how far back "never used before" can look. */
export async function oldestSignInEventAt(db: Queryable, accountId: number): Promise<string | null> {
  const row = await db
    .selectFrom('sign_in_events')
    .select((eb) => eb.fn.min<string | null>('occurred_at').as('oldest'))
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row?.oldest ?? null;
}
