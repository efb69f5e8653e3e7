import { sql } from 'kysely';
import type { Queryable } from './database.js';

/**
 * Reserves `count` consecutive ids for `name` and returns the first.
 * One statement, so bulk inserts take a block at once; the row lock
 * (PostgreSQL) or the writer lock (SQLite) keeps concurrent callers apart.
 */
export async function reserveIds(db: Queryable, name: string, count: number): Promise<number> {
  const row = await sql<{ next_id: number }>`
    insert into id_sequences (name, next_id) values (${name}, ${1 + count})
    on conflict (name) do update set next_id = id_sequences.next_id + ${count}
    returning next_id`.execute(db);
  const nextId = Number(row.rows[0]?.next_id);
  return nextId - count;
}
