import type { ExpressionBuilder, Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { Database, DataKeysTable } from '../../db/schema.js';

export type DataKeyRow = Selectable<DataKeysTable>;

export interface DataKeyRef {
  accountId: number;
  id: number;
}

/** Rows per statement: 5 parameters a row stays far below both backends' limits. */
const ROWS_PER_STATEMENT = 1_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** Inserts new data keys, one multi-row statement per thousand. */
export async function insertDataKeys(db: Queryable, rows: readonly DataKeyRow[]): Promise<void> {
  for (const chunk of chunks(rows, ROWS_PER_STATEMENT)) {
    await db.insertInto('data_keys').values(chunk).execute();
  }
}

/** The data keys named by `refs` that exist, in no particular order. */
export async function readDataKeys(db: Queryable, refs: readonly DataKeyRef[]): Promise<DataKeyRow[]> {
  const rows: DataKeyRow[] = [];
  for (const chunk of chunks(refs, ROWS_PER_STATEMENT)) {
    const found = await db
      .selectFrom('data_keys')
      .selectAll()
      .where((eb) =>
        eb(
          eb.refTuple('account_id', 'id'),
          'in',
          chunk.map((ref) => eb.tuple(ref.accountId, ref.id)),
        ),
      )
      .execute();
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

const atPlaces = (places: readonly SealedPlace[]) => (eb: ExpressionBuilder<Database, 'data_keys'>) =>
  eb(
    eb.refTuple('account_id', 'sealed_for'),
    'in',
    places.map((place) => eb.tuple(place.accountId, place.sealedFor)),
  );

/** Deletes the data keys of places about to be sealed again: their old ciphertexts stop opening. */
export async function retireDataKeys(db: Queryable, places: readonly SealedPlace[]): Promise<void> {
  for (const chunk of chunks(places, ROWS_PER_STATEMENT)) {
    await db.deleteFrom('data_keys').where(atPlaces(chunk)).execute();
  }
}

/** The live data key id of each place that has one, keyed `accountId:sealedFor`. */
export async function readLiveDataKeyIds(db: Queryable, places: readonly SealedPlace[]): Promise<Map<string, number>> {
  const live = new Map<string, number>();
  for (const chunk of chunks(places, ROWS_PER_STATEMENT)) {
    const rows = await db.selectFrom('data_keys').select(['account_id', 'id', 'sealed_for']).where(atPlaces(chunk)).execute();
    for (const row of rows) live.set(`${row.account_id}:${row.sealed_for}`, Number(row.id));
  }
  return live;
}
