import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertPrepared } from './bulk-insert.js';

/** `insertPrepared` is SQLite's bulk path (PostgreSQL takes Kysely's multi-row inserts). */
describe('prepared bulk inserts on SQLite', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await openTestDatabase('sqlite');
  });
  afterEach(() => database.dispose());

  const sequencesNamed = (prefix: string) =>
    database.db.selectFrom('id_sequences').select(['name', 'next_id']).where('name', 'like', `${prefix}%`).orderBy('next_id').execute();

  it('writes every row, whatever the remainder after full statements, reading each row by its columns', async () => {
    const connection = database.sqlite;
    if (connection === undefined) throw new Error('SQLite expected');
    // 500 per statement, then 256 + 128 + 64 + 32 + 16 + 8 + 4 + 2 + 1 for the remaining 511.
    for (const [prefix, count] of [
      ['a', 1_011],
      ['b', 1],
      ['c', 500],
      ['d', 3],
    ] as const) {
      const rows = Array.from({ length: count }, (_, index) => ({ next_id: index + 1, name: `${prefix}${index}`, ignored: true }));
      insertPrepared({ preparedStatements: connection, maxParameters: 32_000 }, 'id_sequences', ['name', 'next_id'], rows);
      const written = await sequencesNamed(prefix);
      expect(written).toHaveLength(count);
      expect(written.map((row) => Number(row.next_id))).toEqual(rows.map((row) => row.next_id));
      expect(written.map((row) => row.name)).toEqual(rows.map((row) => row.name));
    }
  });
});
