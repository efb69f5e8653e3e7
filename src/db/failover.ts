import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/** SQLSTATE classes and codes that mean the server went away or cannot take writes (a failover, a restart). */
const LOST_SQLSTATES = new Set(['57P01', '57P02', '57P03', '25006', '53300']);
const LOST_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const LOST_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Connection ended unexpectedly',
];

/**
 * Whether an error means the database connection was lost or the server no
 * longer takes writes: the statement may be retried once a primary answers.
 * Looks through `cause` chains.
 */
export function isConnectionLoss(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || LOST_SQLSTATES.has(code) || LOST_ERRNOS.has(code))) return true;
    if (LOST_MESSAGES.some((message) => current instanceof Error && current.message.includes(message))) return true;
  }
  return false;
}

/** How long a read waits for a primary again, and a checkout for a connection, before the loss is reported. */
export const FAILOVER_RETRY_MS = 5_000;
const RETRY_STEP_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connectWithin(pool: pg.Pool, deadline: number): Promise<pg.PoolClient> {
  for (;;) {
    try {
      return await pool.connect();
    } catch (error) {
      if (!isConnectionLoss(error) || Date.now() + RETRY_STEP_MS > deadline) throw error;
      await sleep(RETRY_STEP_MS);
    }
  }
}

const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b/i;
const TRANSACTION_END = /^\s*(commit|rollback|end|abort)\b/i;
const READ = /^\s*(select|with\s+[\s\S]*\)\s*select)\b/i;

/**
 * A pool client that rides through a failover where it is safe: a read
 * (`select`) outside a transaction whose connection was lost is run again on
 * a new connection once one can be had (within `FAILOVER_RETRY_MS`). A write,
 * or anything inside a transaction, is never repeated here: the loss reaches
 * the caller (HTTP answers 503 with Retry-After; jobs are retried by the queue).
 */
class FailoverClient implements PostgresPoolClient {
  #inTransaction = false;
  #released = false;

  #broken: Error | undefined;
  // While checked out, pg-pool listens to no 'error' of the client: a connection lost between queries would
  // be an unhandled 'error' event that ends the process. It is noted instead; the next query fails with it.
  readonly #onError = (error: Error): void => {
    this.#broken = error;
  };

  constructor(
    private client: pg.PoolClient,
    private readonly pool: pg.Pool,
  ) {
    client.on('error', this.#onError);
  }

  #hold(client: pg.PoolClient): void {
    this.client.removeListener('error', this.#onError);
    this.client = client;
    this.#broken = undefined;
    client.on('error', this.#onError);
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') return this.client.query(sqlOrCursor as never);
    return this.#run<R>(sqlOrCursor, parameters ?? []);
  }

  async #run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (TRANSACTION_START.test(sql)) this.#inTransaction = true;
    const ends = TRANSACTION_END.test(sql);
    try {
      return (await this.client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>;
    } catch (error) {
      const retry = !this.#inTransaction && READ.test(sql) && isConnectionLoss(error);
      if (!retry) throw error;
      this.client.removeListener('error', this.#onError);
      this.client.release(error instanceof Error ? error : true);
      this.#released = true;
      const fresh = await connectWithin(this.pool, Date.now() + FAILOVER_RETRY_MS);
      this.#released = false;
      this.#hold(fresh);
      return (await this.client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>;
    } finally {
      if (ends) this.#inTransaction = false;
    }
  }

  release(destroy?: boolean): void {
    if (this.#released) return;
    this.#released = true;
    this.client.removeListener('error', this.#onError);
    // A connection known to be lost is destroyed, never handed to the next caller.
    this.client.release(this.#broken ?? destroy);
  }
}

/** Kysely's pool over `pg.Pool`: checkouts wait out a failover briefly, and clients retry lost reads (`FailoverClient`). */
export function failoverPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => new FailoverClient(await connectWithin(pool, Date.now() + FAILOVER_RETRY_MS), pool),
    end: () => pool.end(),
  };
}
