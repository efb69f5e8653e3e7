import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { tuneForSetStatements, withJoinsByKey } from './database.js';

const settings = sql<{ jit: string; work_mem: string }>`select current_setting('jit') as jit, current_setting('work_mem') as work_mem`;

describe.each(backends)('statements over a whole target set on %s', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.dispose());

  it.runIf(backend === 'postgres')('run without JIT and with 64 MB to sort in, for their transaction only', async () => {
    const before = (await settings.execute(database.db)).rows[0];
    const inside = await database.db.transaction().execute(async (tx) => {
      await tuneForSetStatements(tx);
      return (await settings.execute(tx)).rows[0];
    });
    expect(inside).toEqual({ jit: 'off', work_mem: '64MB' });
    // The pooled connection goes back as it was: a sign-in on it later is planned as before.
    for (let i = 0; i < 3; i++) expect((await settings.execute(database.db)).rows[0]).toEqual(before);
  });

  it.runIf(backend === 'postgres')('join by key for one read only, then as the server would', async () => {
    const methods = sql<{ hash: string; merge: string }>`select current_setting('enable_hashjoin') as hash,
      current_setting('enable_mergejoin') as merge`;
    const seen = await database.db.transaction().execute(async (tx) => {
      const inside = await withJoinsByKey(tx, async () => (await methods.execute(tx)).rows[0]);
      return { inside, after: (await methods.execute(tx)).rows[0] };
    });
    expect(seen).toEqual({ inside: { hash: 'off', merge: 'off' }, after: { hash: 'on', merge: 'on' } });
    expect((await methods.execute(database.db)).rows[0]).toEqual({ hash: 'on', merge: 'on' });
  });

  it.runIf(backend === 'postgres')('leave a failed read to end its transaction, switches and all', async () => {
    const failing = database.db.transaction().execute((tx) => withJoinsByKey(tx, () => sql`select 1 / 0`.execute(tx)));
    await expect(failing).rejects.toThrow(/division by zero/);
    const hash = sql<{ hash: string }>`select current_setting('enable_hashjoin') as hash`;
    for (let i = 0; i < 3; i++) expect((await hash.execute(database.db)).rows[0]).toEqual({ hash: 'on' });
  });

  it.runIf(backend === 'postgres')('leave room on every page of campaign targets for the batch that flags them', async () => {
    const { rows } = await sql<{ options: string[] | null }>`
      select reloptions as options from pg_class where relname = 'campaign_targets'`.execute(database.db);
    expect(rows[0]?.options).toEqual(['fillfactor=40']);
  });

  it.runIf(backend === 'sqlite')('change nothing on SQLite', async () => {
    await database.db.transaction().execute(async (tx) => {
      await tuneForSetStatements(tx);
      expect(await withJoinsByKey(tx, async () => (await sql<{ n: number }>`select 1 as n`.execute(tx)).rows)).toEqual([{ n: 1 }]);
    });
  });
});
