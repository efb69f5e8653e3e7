import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertAccount } from '../../test/support/fixtures.js';
import { insertUser } from '../../test/support/identity-fixtures.js';
import type { Queryable } from './database.js';
import type { Account, User } from './schema.js';
import type { Flag } from './schema.flag.js';
import { readIdentityGeneration } from './identity-changes.js';
import { migrateDownOne, migrateToLatest } from './migrate.js';

/**
 * The identity generation (migrations 0026, 0031 and 0032) moves when a committed
 * statement changed something an authentication depends on, and only then:
 * each move makes every process drop every API token it has verified.
 */
/** How far `change` moved the generation. */
async function generationMoves(db: Queryable, change: () => Promise<unknown>): Promise<number> {
  const before = await readIdentityGeneration(db);
  await change();
  return (await readIdentityGeneration(db)) - before;
}

describe.each(backends)('the identity generation on %s', (backend) => {
  let database: TestDatabase;
  let acme: Account;
  let ada: User;
  const NOW = '2026-01-01T00:00:00.000Z';

  const moves = (change: () => Promise<unknown>): Promise<number> => generationMoves(database.db, change);
  const token = { description: 'integration', created_by: null, created_at: NOW, last_used_at: null, token_hint: 'abcd' };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    acme = await insertAccount(database.db, 'acme');
    ada = await insertUser(database.db, acme, 'ada@acme.test');
    await database.db
      .insertInto('api_tokens')
      .values({ account_id: acme.id, id: 1, token_hash: 'hash-1', ...token })
      .execute();
  });
  afterAll(() => database.dispose());

  it('stays where it was for statements that change no row of a watched table', async () => {
    const db = database.db;
    const none = -1;
    expect(await moves(() => db.updateTable('users').set({ name: 'Nobody' }).where('id', '=', none).execute())).toBe(0);
    expect(await moves(() => db.deleteFrom('users').where('id', '=', none).execute())).toBe(0);
    expect(await moves(() => db.updateTable('accounts').set({ name: 'Nobody' }).where('id', '=', none).execute())).toBe(0);
    expect(await moves(() => db.deleteFrom('accounts').where('id', '=', none).execute())).toBe(0);
    expect(await moves(() => db.deleteFrom('user_deletions').where('user_id', '=', none).execute())).toBe(0);
    expect(await moves(() => db.updateTable('api_tokens').set({ token_hash: 'x' }).where('id', '=', none).execute())).toBe(0);
    expect(await moves(() => db.deleteFrom('api_tokens').where('id', '=', none).execute())).toBe(0);
    // An insert of no row: INSERT ... SELECT that selects nothing.
    expect(
      await moves(() =>
        sql`insert into user_deletions (account_id, user_id, deleted_at) select account_id, id, ${NOW} from users where id = ${none}`.execute(
          db,
        ),
      ),
    ).toBe(0);
  });

  it('stays where it was when only unwatched columns, or watched ones to the value they had, are written', async () => {
    const db = database.db;
    expect(await moves(() => db.updateTable('users').set({ last_login_at: NOW }).where('id', '=', ada.id).execute())).toBe(0);
    const unchanged = { name: ada.name, email: ada.email, active: ada.active };
    expect(await moves(() => db.updateTable('users').set(unchanged).where('id', '=', ada.id).execute())).toBe(0);
    expect(await moves(() => db.updateTable('api_tokens').set({ last_used_at: NOW }).where('account_id', '=', acme.id).execute())).toBe(0);
    expect(await moves(() => db.updateTable('api_tokens').set({ token_hash: 'hash-1' }).where('id', '=', 1).execute())).toBe(0);
  });

  it('moves for every change an authentication depends on', async () => {
    const db = database.db;
    expect(await moves(() => db.updateTable('users').set({ active: 0 }).where('id', '=', ada.id).execute())).toBeGreaterThan(0);
    expect(await moves(() => db.updateTable('users').set({ active: 1 }).where('id', '=', ada.id).execute())).toBeGreaterThan(0);
    // A statement over many rows of which one changed.
    expect(await moves(() => db.updateTable('users').set({ role: 'admin' }).where('account_id', '=', acme.id).execute())).toBeGreaterThan(
      0,
    );
    expect(
      await moves(() => db.updateTable('accounts').set({ password_api_access: 0 }).where('id', '=', acme.id).execute()),
    ).toBeGreaterThan(0);
    expect(
      await moves(() =>
        db
          .insertInto('user_deletions')
          .values({ account_id: acme.id, user_id: ada.id, deleted_at: NOW, deleted_by: null, erased_at: null })
          .execute(),
      ),
    ).toBeGreaterThan(0);
    expect(await moves(() => db.deleteFrom('user_deletions').where('user_id', '=', ada.id).execute())).toBeGreaterThan(0);
    expect(await moves(() => db.updateTable('api_tokens').set({ token_hash: 'hash-2' }).where('id', '=', 1).execute())).toBeGreaterThan(0);
    expect(await moves(() => db.deleteFrom('api_tokens').where('id', '=', 1).execute())).toBeGreaterThan(0);
    expect(await moves(() => db.deleteFrom('users').where('id', '=', ada.id).execute())).toBeGreaterThan(0);
    expect(await moves(() => insertAccount(db, 'globex'))).toBeGreaterThan(0);
    expect(await moves(() => db.deleteFrom('accounts').where('subdomain', '=', 'globex').execute())).toBeGreaterThan(0);
  });

  it('moves once for a transaction of several changes, and again when a savepoint took its move back', async () => {
    const bob = await insertUser(database.db, acme, 'bob@acme.test');
    const twoChanges = await moves(() =>
      database.db.transaction().execute(async (tx) => {
        await tx.updateTable('users').set({ active: 0 }).where('id', '=', bob.id).execute();
        await tx.updateTable('users').set({ role: 'admin' }).where('id', '=', bob.id).execute();
      }),
    );
    // PostgreSQL notes the move for the rest of the transaction (migration 0032); SQLite moves per row.
    if (backend === 'postgres') expect(twoChanges).toBe(1);
    else expect(twoChanges).toBeGreaterThan(0);
    const afterRollback = await moves(() =>
      database.db.transaction().execute(async (tx) => {
        await sql`savepoint first_change`.execute(tx);
        await tx.updateTable('users').set({ active: 1 }).where('id', '=', bob.id).execute();
        await sql`rollback to savepoint first_change`.execute(tx);
        await tx.updateTable('users').set({ role: 'agent' }).where('id', '=', bob.id).execute();
      }),
    );
    expect(afterRollback).toBeGreaterThan(0);
  });
});

describe.each(backends)('migration 0032 on %s', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.dispose());

  it('goes down to 0031 and up again, each with the same outcomes', async () => {
    const db = database.db;
    const acme = await insertAccount(db, 'acme');
    const ada = await insertUser(db, acme, 'ada@acme.test');
    const moves = (change: () => Promise<unknown>): Promise<number> => generationMoves(db, change);
    const outcomes = async (active: Flag) => [
      await moves(() => db.updateTable('users').set({ last_login_at: '2026-01-01T00:00:00.000Z' }).where('id', '=', ada.id).execute()),
      (await moves(() => db.updateTable('users').set({ active }).where('id', '=', ada.id).execute())) > 0,
    ];
    expect(await migrateDownOne(db)).toBe('0032-identity-changes-off-sign-ins');
    expect(await outcomes(0)).toEqual([0, true]);
    expect(await migrateToLatest(db)).toEqual(['0032-identity-changes-off-sign-ins']);
    expect(await outcomes(1)).toEqual([0, true]);
  });
});
