import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { preferJoinsByKey, tuneForSetStatements } from './database.js';

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

  it.runIf(backend === 'postgres')('join by key in a dry run, for its transaction only', async () => {
    const joins = sql<{
      hash: string;
      merge: string;
    }>`select current_setting('enable_hashjoin') as hash, current_setting('enable_mergejoin') as merge`;
    const inside = await database.db.transaction().execute(async (tx) => {
      await preferJoinsByKey(tx);
      return (await joins.execute(tx)).rows[0];
    });
    expect(inside).toEqual({ hash: 'off', merge: 'off' });
    // Every other statement on the pooled connection may hash and merge again.
    for (let i = 0; i < 3; i++) expect((await joins.execute(database.db)).rows[0]).toEqual({ hash: 'on', merge: 'on' });
  });

  it.runIf(backend === 'postgres')('leave room on every page of campaign targets for the batch that flags them', async () => {
    const { rows } = await sql<{ options: string[] | null }>`
      select reloptions as options from pg_class where relname = 'campaign_targets'`.execute(database.db);
    expect(rows[0]?.options).toEqual(['fillfactor=40']);
  });

  it.runIf(backend === 'sqlite')('change nothing on SQLite', async () => {
    await database.db.transaction().execute(async (tx) => {
      await tuneForSetStatements(tx);
      await preferJoinsByKey(tx);
      expect((await sql<{ n: number }>`select 1 as n`.execute(tx)).rows).toEqual([{ n: 1 }]);
    });
  });
});
