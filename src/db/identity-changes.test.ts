import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertAccount } from '../../test/support/fixtures.js';
import { insertUser } from '../../test/support/identity-fixtures.js';
import type { Account, User } from './schema.js';
import { readIdentityGeneration } from './identity-changes.js';

/**
 * The identity generation (migrations 0026 and 0031) moves when a committed
 * statement changed something an authentication depends on, and only then:
 * each move makes every process drop every API token it has verified.
 */
describe.each(backends)('the identity generation on %s', (backend) => {
  let database: TestDatabase;
  let acme: Account;
  let ada: User;
  const NOW = '2026-01-01T00:00:00.000Z';

  /** How far `change` moved the generation. */
  const moves = async (change: () => Promise<unknown>): Promise<number> => {
    const before = await readIdentityGeneration(database.db);
    await change();
    return (await readIdentityGeneration(database.db)) - before;
  };
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
});
