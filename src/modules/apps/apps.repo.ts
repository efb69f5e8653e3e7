import type { Selectable } from 'kysely';
import { chunks, rowsPerStatement } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { AppsTable } from '../../db/schema.js';

export type PrivateAppRow = Selectable<AppsTable>;

/** Private apps take their ids from this sequence, offset by `PRIVATE_APP_FIRST_ID` (see `app-definition.ts`). */
export const APP_ID_SEQUENCE = 'apps';

export async function insertPrivateApp(db: Queryable, row: PrivateAppRow): Promise<void> {
  await db.insertInto('apps').values(row).execute();
}

export async function findPrivateApp(db: Queryable, accountId: number, id: number): Promise<PrivateAppRow | undefined> {
  return db.selectFrom('apps').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function findPrivateAppByName(db: Queryable, accountId: number, name: string): Promise<PrivateAppRow | undefined> {
  return db.selectFrom('apps').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
}

export async function listPrivateApps(db: Queryable, accountId: number): Promise<PrivateAppRow[]> {
  return db.selectFrom('apps').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

export async function countPrivateApps(db: Queryable, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('apps')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * The private apps of `accountIds` whose id is in `ids` (a superset of the
 * exact pairs, which callers look up in the result): two `IN` lists, in
 * batches under the parameter limit.
 */
export async function findPrivateAppsByIds(
  db: Queryable,
  accountIds: readonly number[],
  ids: readonly number[],
  maxParameters: number,
): Promise<PrivateAppRow[]> {
  if (accountIds.length === 0 || ids.length === 0) return [];
  const rows: PrivateAppRow[] = [];
  const perStatement = Math.max(1, rowsPerStatement(1, maxParameters) - accountIds.length);
  for (const batch of chunks(ids, perStatement)) {
    rows.push(...(await db.selectFrom('apps').selectAll().where('account_id', 'in', accountIds).where('id', 'in', batch).execute()));
  }
  return rows;
}

/** Private apps of `accountIds` named in `names` (a superset of the exact pairs, as above). */
export async function findPrivateAppsByNames(
  db: Queryable,
  accountIds: readonly number[],
  names: readonly string[],
  maxParameters: number,
): Promise<PrivateAppRow[]> {
  if (accountIds.length === 0 || names.length === 0) return [];
  const rows: PrivateAppRow[] = [];
  const perStatement = Math.max(1, rowsPerStatement(1, maxParameters) - accountIds.length);
  for (const batch of chunks(names, perStatement)) {
    rows.push(...(await db.selectFrom('apps').selectAll().where('account_id', 'in', accountIds).where('name', 'in', batch).execute()));
  }
  return rows;
}

const APP_COLUMNS = 8;

/** Inserts private apps in multi-row statements; the caller owns the transaction and the ids. */
export async function insertPrivateApps(db: Queryable, rows: readonly PrivateAppRow[], maxParameters: number): Promise<void> {
  for (const batch of chunks(rows, rowsPerStatement(APP_COLUMNS, maxParameters))) {
    await db.insertInto('apps').values(batch).execute();
  }
}

/** How many private apps each of `accountIds` has (accounts with none are absent). */
export async function countPrivateAppsByAccount(
  db: Queryable,
  accountIds: readonly number[],
  maxParameters: number,
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const batch of chunks(accountIds, rowsPerStatement(1, maxParameters))) {
    const rows = await db
      .selectFrom('apps')
      .select(['account_id', (eb) => eb.fn.countAll<number>().as('count')])
      .where('account_id', 'in', batch)
      .groupBy('account_id')
      .execute();
    for (const row of rows) counts.set(Number(row.account_id), Number(row.count));
  }
  return counts;
}
