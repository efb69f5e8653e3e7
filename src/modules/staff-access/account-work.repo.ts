import type { Queryable } from '../../db/database.js';

/** Names of an account's private apps by id (marketplace apps are named by the catalogue). */
export async function privateAppNames(db: Queryable, accountId: number, appIds: readonly number[]): Promise<Map<number, string>> {
  if (appIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('apps')
    .select(['id', 'name'])
    .where('account_id', '=', accountId)
    .where('id', 'in', [...appIds])
    .execute();
  return new Map(rows.map((row) => [Number(row.id), row.name]));
}
