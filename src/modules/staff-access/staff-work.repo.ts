import type { Queryable } from '../../db/database.js';

/** The accounts of one scope version, ascending. */
export async function scopeVersionAccountIds(db: Queryable, incidentId: number, version: number): Promise<number[]> {
  const rows = await db
    .selectFrom('scope_accounts')
    .select('account_id')
    .where('incident_id', '=', incidentId)
    .where('version', '=', version)
    .orderBy('account_id')
    .execute();
  return rows.map((row) => Number(row.account_id));
}

/** How many of a campaign's frozen targets each account holds. */
export async function campaignTargetsByAccount(db: Queryable, campaignId: number): Promise<Array<{ accountId: number; users: number }>> {
  const rows = await db
    .selectFrom('campaign_targets')
    .select(['account_id', (eb) => eb.fn.countAll<number>().as('users')])
    .where('campaign_id', '=', campaignId)
    .groupBy('account_id')
    .orderBy('account_id')
    .execute();
  return rows.map((row) => ({ accountId: Number(row.account_id), users: Number(row.users) }));
}
