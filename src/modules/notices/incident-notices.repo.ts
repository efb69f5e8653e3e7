import type { Queryable } from '../../db/database.js';

/** One affected account of a scope version, with what a notice needs. */
export interface NoticeAccountRow {
  account_id: number;
  subdomain: string;
  name: string;
  locale: string;
  owner_email: string;
  security_contact_email: string | null;
  categories: string;
  people_agents: number;
  people_end_users: number;
  records: string;
  hash_tiers: string | null;
}

/** A page of the scope version's accounts, in account id order after `afterAccountId`. */
export async function listNoticeAccounts(
  db: Queryable,
  incidentId: number,
  version: number,
  afterAccountId: number,
  limit: number,
): Promise<NoticeAccountRow[]> {
  return db
    .selectFrom('scope_accounts as scoped')
    .innerJoin('accounts', 'accounts.id', 'scoped.account_id')
    .select([
      'scoped.account_id',
      'accounts.subdomain',
      'accounts.name',
      'accounts.locale',
      'accounts.owner_email',
      'accounts.security_contact_email',
      'scoped.categories',
      'scoped.people_agents',
      'scoped.people_end_users',
      'scoped.records',
      'scoped.hash_tiers',
    ])
    .where('scoped.incident_id', '=', incidentId)
    .where('scoped.version', '=', version)
    .where('scoped.account_id', '>', afterAccountId)
    .orderBy('scoped.account_id')
    .limit(limit)
    .execute();
}

export async function countNoticeAccounts(db: Queryable, incidentId: number, version: number): Promise<number> {
  const row = await db
    .selectFrom('scope_accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('incident_id', '=', incidentId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The active admins of the core realm of these accounts: one statement for a whole page. */
export async function listAccountAdmins(
  db: Queryable,
  accountIds: readonly number[],
): Promise<Array<{ account_id: number; email: string }>> {
  if (accountIds.length === 0) return [];
  return db
    .selectFrom('users')
    .select(['account_id', 'email'])
    .where('account_id', 'in', accountIds)
    .where('realm', '=', 'core')
    .where('role', '=', 'admin')
    .where('active', '=', 1)
    .orderBy('account_id')
    .orderBy('id')
    .execute();
}

export interface RotationTargetRow {
  account_id: number;
  user_id: number;
  name: string;
  email: string;
  user_locale: string | null;
  account_locale: string;
  account_name: string;
  subdomain: string;
  /** The user's last right password on the API's Basic auth (null: none recorded, or no password any more). */
  api_used_at: string | null;
}

/**
 * A page of the active users the incident's rotation campaigns target (those
 * of a cancelled campaign only when flagged before it stopped), each once
 * however many campaigns name them, in (account, user) order after `after`.
 */
export async function listRotationTargets(
  db: Queryable,
  incidentId: number,
  after: { accountId: number; userId: number },
  limit: number,
): Promise<RotationTargetRow[]> {
  return (
    db
      .selectFrom('campaign_targets as target')
      .innerJoin('rotation_campaigns as campaign', 'campaign.id', 'target.campaign_id')
      .innerJoin('users', (join) => join.onRef('users.account_id', '=', 'target.account_id').onRef('users.id', '=', 'target.user_id'))
      .innerJoin('accounts', 'accounts.id', 'target.account_id')
      .leftJoin('password_credentials as credential', (join) =>
        join.onRef('credential.account_id', '=', 'target.account_id').onRef('credential.user_id', '=', 'target.user_id'),
      )
      .select([
        'target.account_id',
        'target.user_id',
        'users.name',
        'users.email',
        'users.locale as user_locale',
        'accounts.locale as account_locale',
        'accounts.name as account_name',
        'accounts.subdomain',
        'credential.api_used_at',
      ])
      .distinct()
      .where('campaign.incident_id', '=', incidentId)
      .where((eb) => eb.or([eb('campaign.state', '<>', 'cancelled'), eb('target.flagged_at', 'is not', null)]))
      // Left alone by their batch: they had already set a new password.
      .where('target.changed_before_rotation', '=', 0)
      .where('users.active', '=', 1)
      .where((eb) => eb(eb.refTuple('target.account_id', 'target.user_id'), '>', eb.tuple(after.accountId, after.userId)))
      .orderBy('target.account_id')
      .orderBy('target.user_id')
      .limit(limit)
      .execute()
  );
}
