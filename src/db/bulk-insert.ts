import type SQLite from 'better-sqlite3';
import type { DatabaseHandle, Queryable } from './database.js';

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
 * unset and takes Kysely's multi-row inserts.
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
