import type { Queryable } from '../../db/database.js';

/** One frozen target of a campaign, with what its advance notice needs. */
export interface AnnouncedTargetRow {
  account_id: number;
  user_id: number;
  name: string;
  email: string;
  user_locale: string | null;
  account_locale: string;
  account_name: string;
  subdomain: string;
  /** The user's last right password on the API's Basic auth (null: none recorded); the notice tells them when it is recent. */
  api_used_at: string | null;
}

/** A page of a campaign's frozen targets who are still active, in (account, user) order after `after`. */
export async function listAnnouncedTargets(
  db: Queryable,
  campaignId: number,
  after: { accountId: number; userId: number },
  limit: number,
): Promise<AnnouncedTargetRow[]> {
  return db
    .selectFrom('campaign_targets as target')
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
    .where('target.campaign_id', '=', campaignId)
    .where('users.active', '=', 1)
    .where((eb) => eb(eb.refTuple('target.account_id', 'target.user_id'), '>', eb.tuple(after.accountId, after.userId)))
    .orderBy('target.account_id')
    .orderBy('target.user_id')
    .limit(limit)
    .execute();
}
