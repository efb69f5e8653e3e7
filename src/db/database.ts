import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  sql,
  SqliteDialect,
  type DialectAdapter,
  type SqliteDatabase,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { failoverPool } from './failover.js';
import { emptyWriteAheadLog, startCheckpointer } from './sqlite-checkpointer.js';
import { ensurePrivateDirectory, ensurePrivateFile, refuseSharedIfPresent } from './private-files.js';
import type { Database } from './schema.js';

// bigint ids and counts come back as numbers; they stay below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * What differs between backends, as capabilities rather than dialect checks
 * scattered through the code (Kysely's own habit).
 */
export interface DatabaseCapabilities {
  /** `sqlite` or `postgres`, for logs and for choosing the job runner. */
  readonly kind: 'sqlite' | 'postgres';
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
  /** Several processes may share this database (pg-boss, LISTEN/NOTIFY). */
  readonly sharedAcrossProcesses: boolean;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** A database handle or a transaction: repos accept either. */
export type Queryable = Kysely<Database>;

const isPostgres = (db: Queryable): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** What each opened database offers, by its Kysely adapter: one per handle, shared by its transactions. */
const openedDatabases = new WeakMap<DialectAdapter, Pick<DatabaseHandle, 'capabilities' | 'sqlite'>>();

/**
 * The capabilities and, on SQLite, the connection of the database `db` (a
 * handle or any of its transactions) runs on: statements prepared on that
 * connection join the transaction open on it (bulk-insert.ts).
 */
export function openedDatabaseOf(db: Queryable): Pick<DatabaseHandle, 'capabilities' | 'sqlite'> {
  const opened = openedDatabases.get(db.getExecutor().adapter);
  if (opened === undefined) throw new Error('this database was not opened by openDatabase');
  return opened;
}

/** Whether `SELECT … FOR UPDATE` locks rows here: PostgreSQL does; SQLite has one writer, which serialises writers already. */
export const locksRows = isPostgres;

/**
 * Whether a large read runs on parallel workers when it fills a new table
 * (`CREATE TABLE … AS`) though not when it feeds an `INSERT … SELECT`:
 * PostgreSQL's case. SQLite reads on one thread either way.
 */
export const readsInParallelOnlyIntoNewTables = isPostgres;

/**
 * For the statements that read or write a campaign's whole target set at once
 * (its dry run and its freeze), in the caller's transaction: on PostgreSQL no
 * JIT compilation, which costs more than it saves on a statement run once
 * (0.1 s of a 0.9 s dry run over a million users), and sorts and hashes in
 * memory up to 64 MB rather than spilled to disk. SQLite: nothing to set.
 */
export async function tuneForSetStatements(tx: Queryable): Promise<void> {
  if (isPostgres(tx)) await sql`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`.execute(tx);
}

/**
 * Runs a campaign's dry run with PostgreSQL joining each user the selector
 * keeps to its account and credential by primary key (nested loops; hash and
 * merge joins off for this read alone, then back to the server's values for
 * the rest of the transaction). The dry run left-joins the kept users to
 * their credentials, and PostgreSQL 15 cannot hash the kept side of a left
 * join in parallel, so it hashed every credential instead: 525,000 (81 MB)
 * for the 272,000 users the seed selector keeps of a million, 1.1-1.3 s
 * against 0.8-0.9 s by key; over ten million users 7.9-8.1 s against
 * 6.5-7.4 s. When a selector keeps every user the two plans take the same
 * time. A read that fails aborts the transaction, and the switches with it.
 * SQLite plans its own joins: `read` runs as it is.
 *
 * @example
 * const counted = await withJoinsByKey(tx, () => dryRun(tx, selector, cutoff));
 */
export async function withJoinsByKey<T>(tx: Queryable, read: () => Promise<T>): Promise<T> {
  if (!isPostgres(tx)) return read();
  await sql`select set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`.execute(tx);
  const result = await read();
  await sql`select set_config(name, reset_val, true) from pg_settings where name in ('enable_hashjoin', 'enable_mergejoin')`.execute(tx);
  return result;
}

/**
 * For the statements of one rotation batch, in its transaction: on PostgreSQL
 * a random page read costed as cached (1.1, the usual value for data in
 * memory or on SSD) rather than the default 4 of a spinning disk. With 4 the
 * planner joined a batch's 10,000 targets to the credentials by scanning all
 * of them, every batch: 126 ms against 19 ms by key for one statement over a
 * million users. SQLite: nothing to set.
 */
export async function tuneForBatchStatements(tx: Queryable): Promise<void> {
  if (isPostgres(tx)) await sql`select set_config('random_page_cost', '1.1', true)`.execute(tx);
}

export interface DatabaseHandle {
  db: Db;
  capabilities: DatabaseCapabilities;
  /** Set when PostgreSQL; the job queue reuses it. */
  connectionString: string | undefined;
  /** Set when SQLite; benchmarks compare against it directly. */
  sqlite: SQLite.Database | undefined;
  /**
   * Makes deleted data leave the database's files now: SQLite copies its
   * write-ahead log (which still holds pages as they were) into the database
   * and empties it; PostgreSQL needs nothing here.
   */
  flushDeletedData(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize?: number;
  onPoolError?: (error: Error) => void;
}

const defaultPoolError = (error: Error): void => {
  process.stderr.write(`riposte: an idle PostgreSQL connection failed and will be replaced: ${error.message}\n`);
};

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every statement anew; on a hot path the
 * preparing costs more than the query. Statements are kept by their SQL text
 * (the most recently used few hundred), so a repeated query is prepared once.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      let statement = cache.get(text);
      if (statement === undefined) {
        statement = sqlite.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      } else {
        cache.delete(text);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

const DATA_DIR_RULE = { label: 'Data directory', why: 'it holds the database, the key file and the TLS keys' };
const DATABASE_FILE_RULE = { label: 'Database file', why: 'it holds every account, user and credential' };

/**
 * The data directory (0700) and the SQLite file (0600), created so whatever
 * the umask, or refused when shared. SQLite gives the -wal and -shm files
 * the database file's mode; leftovers from before are checked too.
 */
function openPrivateDatabaseFiles(dataDir: string): string {
  ensurePrivateDirectory(dataDir, DATA_DIR_RULE);
  const file = path.join(dataDir, 'riposte.sqlite');
  ensurePrivateFile(file, DATABASE_FILE_RULE);
  for (const companion of [`${file}-wal`, `${file}-shm`]) refuseSharedIfPresent(companion, DATABASE_FILE_RULE);
  return file;
}

/**
 * Opens PostgreSQL when `databaseUrl` is set, else the embedded SQLite
 * database `riposte.sqlite` in the data directory (WAL, foreign keys on).
 *
 * @example
 * const { db, close } = openDatabase({ databaseUrl: undefined, dataDir: './data' });
 */
export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  if (options.databaseUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle connection dropped by the server must not take the process down;
    // the pool replaces it on the next checkout.
    pool.on('error', (error) => (options.onPoolError ?? defaultPoolError)(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: failoverPool(pool) }) });
    const capabilities: DatabaseCapabilities = { kind: 'postgres', maxParameters: 65_000, sharedAcrossProcesses: true };
    openedDatabases.set(db.getExecutor().adapter, { capabilities, sqlite: undefined });
    return {
      db,
      capabilities,
      connectionString: options.databaseUrl,
      sqlite: undefined,
      flushDeletedData: () => Promise.resolve(),
      close: () => db.destroy(),
    };
  }
  const file = openPrivateDatabaseFiles(options.dataDir);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Deleted and overwritten content is zeroed, so an erased person's data does not linger in free space (README, Erasure).
  sqlite.pragma('secure_delete = ON');
  // ANALYZE after a bulk load samples each index (SQLite's advice for PRAGMA optimize): 30 ms instead of 0.7 s for 1M users.
  sqlite.pragma('analysis_limit = 1000');
  const checkpointer = startCheckpointer(file, sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const capabilities: DatabaseCapabilities = { kind: 'sqlite', maxParameters: 32_000, sharedAcrossProcesses: false };
  openedDatabases.set(db.getExecutor().adapter, { capabilities, sqlite });
  return {
    db,
    capabilities,
    connectionString: undefined,
    sqlite,
    flushDeletedData: () => emptyWriteAheadLog(sqlite),
    // The checkpointer's connection goes first, so the writer's close, the last, empties the log into the file.
    close: async () => {
      await checkpointer.stop();
      await db.destroy();
    },
  };
}
