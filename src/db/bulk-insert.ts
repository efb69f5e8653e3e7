import type SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openedDatabaseOf, type DatabaseHandle, type Queryable } from './database.js';

/**
 * Where a repo's bulk writes go: a transaction, the parameter limit of one
 * statement, and, when the backend offers it, synchronous prepared
 * statements on the very connection the transaction runs on.
 *
 * Multi-row inserts through Kysely are compiled and prepared anew for every
 * statement; on the embedded SQLite database a statement prepared once and
 * run for each batch inserted 1M user rows at about 330,000 rows/s against
 * 180,000 through Kysely (2 CPUs), which took the import's write pass from
 * 4.3 s to 3.5 s for 300,000 users. PostgreSQL leaves `preparedStatements`
 * unset and takes each column as one array (`insertRows`).
 */
export interface BulkWriteTarget {
  db: Queryable;
  maxParameters: number;
  /**
   * The connection `db` runs on, when statements can be prepared and run on it
   * synchronously. Such statements join whatever transaction `db` has open,
   * so only hand it together with a transaction of that same handle.
   */
  preparedStatements: SQLite.Database | undefined;
}

/** The bulk target of a transaction opened on `handle`. */
export function bulkWriteTarget(handle: Pick<DatabaseHandle, 'capabilities' | 'sqlite'>, transaction: Queryable): BulkWriteTarget {
  return { db: transaction, maxParameters: handle.capabilities.maxParameters, preparedStatements: handle.sqlite };
}

/**
 * The bulk target of a transaction, found from the database it runs on. A
 * transaction only: on SQLite the prepared statements run on the one
 * connection, inside whichever transaction holds it, which outside ours could
 * be another caller's.
 */
export function bulkWriteTargetOf(transaction: Queryable): BulkWriteTarget {
  if (!transaction.isTransaction) throw new Error('bulk writes run in a transaction: pass the transaction, not the database');
  return bulkWriteTarget(openedDatabaseOf(transaction), transaction);
}

/** Rows of `columnCount` values that fit in one statement. */
export function rowsPerStatement(columnCount: number, maxParameters: number): number {
  return Math.max(1, Math.floor(maxParameters / columnCount));
}

/** Splits `rows` into slices of at most `size`. */
export function* chunks<T>(rows: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size);
}

// Past a few hundred rows a bigger statement no longer pays for itself on SQLite.
const PREPARED_ROWS = 500;
const statementCache = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

function preparedInsert(connection: SQLite.Database, table: string, columns: readonly string[], rowCount: number): SQLite.Statement {
  let cache = statementCache.get(connection);
  if (cache === undefined) {
    cache = new Map();
    statementCache.set(connection, cache);
  }
  const key = `${table}(${columns.join(',')})x${rowCount}`;
  let statement = cache.get(key);
  if (statement === undefined) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    statement = connection.prepare(
      `insert into ${table} (${columns.join(', ')}) values ${Array.from({ length: rowCount }, () => tuple).join(', ')}`,
    );
    cache.set(key, statement);
  }
  return statement;
}

/**
 * Inserts rows through prepared multi-row statements, each row's values read
 * in `columns` order. The caller owns the transaction; table and column
 * names are the caller's constants, never input.
 */
export function insertPrepared<Row extends object>(
  target: { preparedStatements: SQLite.Database; maxParameters: number },
  table: string,
  columns: ReadonlyArray<keyof Row & string>,
  rows: readonly Row[],
): void {
  const connection = target.preparedStatements;
  const perStatement = Math.min(PREPARED_ROWS, rowsPerStatement(columns.length, target.maxParameters));
  let start = 0;
  while (start < rows.length) {
    // Full statements, then the remainder in power-of-two sizes: a handful of statement shapes, each prepared once.
    const left = rows.length - start;
    const size = left >= perStatement ? perStatement : 2 ** Math.floor(Math.log2(left));
    const values: unknown[] = new Array<unknown>(size * columns.length);
    let index = 0;
    for (let row = start; row < start + size; row += 1) {
      const record = rows[row]!;
      for (const column of columns) values[index++] = record[column];
    }
    preparedInsert(connection, table, columns, size).run(values);
    start += size;
  }
}

/**
 * Inserts rows, each row's values read in `columns` order, the fastest way
 * the backend offers: prepared multi-row statements on SQLite
 * (`insertPrepared`); on PostgreSQL one statement whose every column is one
 * array parameter, `insert … select * from unnest($1::bigint[], …)`. A
 * multi-row `VALUES` of 2,000 users binds 30,000 parameters, which
 * PostgreSQL took longer to bind than to insert; 50,000 users went in 0.6 s
 * against 1.7–1.9 s. The caller owns the transaction; table and column names
 * are the caller's constants, never input.
 */
export async function insertRows<Row extends object>(
  target: BulkWriteTarget,
  table: string,
  columns: ReadonlyArray<keyof Row & string>,
  rows: readonly Row[],
): Promise<void> {
  if (rows.length === 0) return;
  if (target.preparedStatements !== undefined) {
    insertPrepared({ preparedStatements: target.preparedStatements, maxParameters: target.maxParameters }, table, columns, rows);
    return;
  }
  const types = await columnTypes(target.db, table);
  const arrays = columns.map((column) => {
    const type = types.get(column);
    if (type === undefined) throw new Error(`${table} has no column ${column}`);
    return sql`${rows.map((row) => row[column])}::${sql.raw(`${type}[]`)}`;
  });
  await sql`insert into ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))}) select * from unnest(${sql.join(arrays)})`.execute(
    target.db,
  );
}

// Each table's column types, read once per process: every database it opens is migrated to the same schema.
const columnTypeCache = new Map<string, ReadonlyMap<string, string>>();

async function columnTypes(db: Queryable, table: string): Promise<ReadonlyMap<string, string>> {
  let types = columnTypeCache.get(table);
  if (types === undefined) {
    const { rows } = await sql<{ name: string; type: string }>`select attname as name, format_type(atttypid, atttypmod) as type
      from pg_attribute where attrelid = ${table}::regclass and attnum > 0 and not attisdropped`.execute(db);
    types = new Map(rows.map((row) => [row.name, row.type]));
    columnTypeCache.set(table, types);
  }
  return types;
}
