import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { bulkWriteTarget, bulkWriteTargetOf, insertPrepared, insertRows } from './bulk-insert.js';

/** `insertPrepared` is SQLite's bulk path (PostgreSQL takes one array per column: `insertRows`). */
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

describe.each(backends)('insertRows on %s', (backend) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await openTestDatabase(backend);
  });
  afterEach(() => database.dispose());

  it('writes every value as given: nulls, empty text, quotes, commas, braces, backslashes and non-ASCII text', async () => {
    // Text a column array must carry through PostgreSQL's array syntax unchanged.
    const awkward = ['', 'NULL', 'a,b', '{x}', '"quoted"', 'back\\slash', "it's", 'Zoë Ω 東京', ' spaced '];
    const rows = awkward.map((subdomain, index) => ({
      id: index + 1,
      subdomain: `s${index}`,
      name: subdomain,
      status: 'active' as const,
      activated_at: index % 2 === 0 ? null : '2020-01-01T00:00:00.000Z',
      host_mapping: null,
      owner_email: `owner${index}@example.test`,
      owner_user_id: null,
      security_contact_email: index === 0 ? '' : null,
      locale: 'en',
      products_mask: 2 ** 20 + index,
      password_api_access: 1 as const,
      created_at: '2020-01-01T00:00:00.000Z',
      updated_at: '2020-01-01T00:00:00.000Z',
    }));
    const transaction = await database.db.startTransaction().execute();
    await insertRows(bulkWriteTarget(database, transaction), 'accounts', Object.keys(rows[0]!) as Array<keyof (typeof rows)[number]>, rows);
    await transaction.commit().execute();
    const written = await database.db.selectFrom('accounts').selectAll().orderBy('id').execute();
    expect(written.map((row) => ({ ...row, id: Number(row.id), products_mask: Number(row.products_mask) }))).toEqual(rows);
  });

  it("finds a transaction's bulk target from the database it runs on, whose writes commit or roll back with it", async () => {
    const sequence = (name: string) => [{ name, next_id: 1 }];
    const rolledBack = await database.db.startTransaction().execute();
    const target = bulkWriteTargetOf(rolledBack);
    expect(target.preparedStatements).toBe(database.sqlite);
    expect(target.maxParameters).toBe(database.capabilities.maxParameters);
    await insertRows(target, 'id_sequences', ['name', 'next_id'], sequence('bulk-rolled-back'));
    await rolledBack.rollback().execute();
    const committed = await database.db.startTransaction().execute();
    await insertRows(bulkWriteTargetOf(committed), 'id_sequences', ['name', 'next_id'], sequence('bulk-committed'));
    await committed.commit().execute();
    const written = await database.db.selectFrom('id_sequences').select('name').where('name', 'like', 'bulk-%').execute();
    expect(written.map((row) => row.name)).toEqual(['bulk-committed']);
    expect(() => bulkWriteTargetOf(database.db)).toThrow(/pass the transaction/);
  });
});
