import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import { chunks } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { Database, DataKeysTable } from '../../db/schema.js';

export type DataKeyRow = Selectable<DataKeysTable>;

export interface DataKeyRef {
  accountId: number;
  id: number;
}

/** Rows per statement: 5 parameters a row stays far below both backends' limits. */
const ROWS_PER_STATEMENT = 1_000;

/** Inserts new data keys, one multi-row statement per thousand. */
export async function insertDataKeys(db: Queryable, rows: readonly DataKeyRow[]): Promise<void> {
  for (const chunk of chunks(rows, ROWS_PER_STATEMENT)) {
    await db.insertInto('data_keys').values(chunk).execute();
  }
}

/** The data keys `refs` name, by primary key. */
const atKeys = (refs: readonly DataKeyRef[]) => (eb: ExpressionBuilder<Database, 'data_keys'>) =>
  eb(
    eb.refTuple('account_id', 'id'),
    'in',
    refs.map((ref) => eb.tuple(ref.accountId, ref.id)),
  );

/** The data keys named by `refs` that exist, in no particular order. */
export async function readDataKeys(db: Queryable, refs: readonly DataKeyRef[]): Promise<DataKeyRow[]> {
  const rows: DataKeyRow[] = [];
  for (const chunk of chunks(refs, ROWS_PER_STATEMENT)) {
    const found = await db.selectFrom('data_keys').selectAll().where(atKeys(chunk)).execute();
    rows.push(...found);
  }
  return rows;
}

/** How many data keys each key-encryption key version wraps. */
export async function countDataKeysByVersion(db: Queryable): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('data_keys')
    .select((eb) => ['kek_version', eb.fn.countAll<number>().as('count')])
    .groupBy('kek_version')
    .execute();
  return new Map(rows.map((row) => [Number(row.kek_version), Number(row.count)]));
}

/**
 * The next `limit` data keys, in primary-key order after `after`, that are
 * not wrapped under `version`. Walking the primary key with a cursor keeps a
 * full re-wrap to one pass over the table, however many batches it takes.
 */
export async function readDataKeysNotOnVersion(
  db: Queryable,
  options: { version: number; after: DataKeyRef | undefined; limit: number },
): Promise<DataKeyRow[]> {
  let query = db.selectFrom('data_keys').selectAll().where('kek_version', '<>', options.version);
  const { after } = options;
  if (after !== undefined) {
    query = query.where((eb) => eb(eb.refTuple('account_id', 'id'), '>', eb.tuple(after.accountId, after.id)));
  }
  return query.orderBy('account_id').orderBy('id').limit(options.limit).execute();
}

/**
 * Writes re-wrapped data keys in one statement (`insert ... on conflict
 * (account_id, id) do update`), replacing only the wrapping: the data key
 * inside, and so every secret sealed with it, is unchanged.
 */
export async function upsertRewrappedDataKeys(db: Queryable, rows: readonly DataKeyRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('data_keys')
    .values([...rows])
    .onConflict((conflict) =>
      conflict.columns(['account_id', 'id']).doUpdateSet((eb) => ({
        kek_version: eb.ref('excluded.kek_version'),
        wrapped_key: eb.ref('excluded.wrapped_key'),
      })),
    )
    .execute();
}

export interface SealedPlace {
  accountId: number;
  /** `table.column.rowId` */
  sealedFor: string;
}

/** Places per statement: 2 parameters a place. */
const PLACES_PER_STATEMENT = 5_000;

/**
 * The live data key of each of `places` that has one, looked up place by
 * place on the partial unique index (account_id, sealed_for): the places are
 * a VALUES list and each looks its key up in a subquery of its own, which
 * both databases answer from the index whatever they believe of the table's
 * size. A list of tuples instead reads every key of the account (SQLite) or,
 * as one OR per place, the whole table (PostgreSQL), once per statement.
 */
async function liveDataKeys(
  db: Queryable,
  places: readonly SealedPlace[],
): Promise<Array<{ account_id: number; id: number; sealed_for: string }>> {
  const live: Array<{ account_id: number; id: number; sealed_for: string }> = [];
  for (const chunk of chunks(places, PLACES_PER_STATEMENT)) {
    // The first row's casts type the columns (PostgreSQL would take untyped parameters for text); the rest follow.
    const values = chunk.map((place, index) =>
      index === 0
        ? sql`(cast(${place.accountId} as bigint), cast(${place.sealedFor} as text))`
        : sql`(${place.accountId}, ${place.sealedFor})`,
    );
    const { rows } = await sql<{ account_id: number; id: number | null; sealed_for: string }>`
      select place.account_id, place.sealed_for, place.id from (
        select p.column1 as account_id, p.column2 as sealed_for,
          (select k.id from data_keys k where k.account_id = p.column1 and k.sealed_for = p.column2 and k.sealed_for is not null) as id
        from (values ${sql.join(values)}) as p
      ) as place where place.id is not null`.execute(db);
    for (const row of rows)
      if (row.id !== null) live.push({ account_id: Number(row.account_id), id: Number(row.id), sealed_for: row.sealed_for });
  }
  return live;
}

/** Deletes the data keys of places about to be sealed again: their old ciphertexts stop opening. */
export async function retireDataKeys(db: Queryable, places: readonly SealedPlace[]): Promise<void> {
  const live = await liveDataKeys(db, places);
  for (const chunk of chunks(live, ROWS_PER_STATEMENT)) {
    await db
      .deleteFrom('data_keys')
      .where(atKeys(chunk.map((key) => ({ accountId: key.account_id, id: key.id }))))
      .execute();
  }
}

/** The live data key id of each place that has one, keyed `accountId:sealedFor`. */
export async function readLiveDataKeyIds(db: Queryable, places: readonly SealedPlace[]): Promise<Map<string, number>> {
  const live = new Map<string, number>();
  for (const key of await liveDataKeys(db, places)) live.set(`${key.account_id}:${key.sealed_for}`, key.id);
  return live;
}
