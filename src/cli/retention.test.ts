import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps } from '../../test/support/app.js';
import { openRuntime, runCli } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertAccount } from '../../test/support/fixtures.js';
import { insertUser } from '../../test/support/identity-fixtures.js';
import { registerRetentionCommand } from './retention.js';

describe.each(backends)('riposte retention run on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    const acme = await insertAccount(database.db, 'acme');
    const ana = await insertUser(database.db, acme, 'ana@acme.test');
    // One session that ended 31 days ago (the default keeps 30), one live.
    const session = (id: number, expiresAt: string) => ({
      account_id: acme.id,
      id,
      user_id: ana.id,
      token_hash: `t${id}`,
      created_at: '2026-04-01T00:00:00.000Z',
      last_seen_at: '2026-04-01T00:00:00.000Z',
      expires_at: expiresAt,
      ip: null,
      user_agent: null,
      revoked_at: null,
      revoked_reason: null,
    });
    await database.db
      .insertInto('sessions')
      .values([session(1, '2026-05-01T12:00:00.000Z'), session(2, '2026-06-02T00:00:00.000Z')])
      .execute();
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli((program, output) => registerRetentionCommand(program, openRuntime(deps), output), args);
    return stdout;
  }

  it('counts with --dry-run, then removes, reporting per kind', async () => {
    const dry = JSON.parse(await run('retention', 'run', '--dry-run', '--json')) as {
      dry_run: boolean;
      kinds: Record<string, { removed: number }>;
    };
    expect(dry.dry_run).toBe(true);
    expect(dry.kinds.sessions?.removed).toBe(1);
    expect((await database.db.selectFrom('sessions').select('id').execute()).length).toBe(2);

    const text = await run('retention', 'run');
    expect(text).toMatch(/retention removed:\n {2}sessions +1 {2}\(older than 30 day\(s\): before 2026-05-02T12:00:00\.000Z\)/);
    expect((await database.db.selectFrom('sessions').select('id').execute()).map((row) => Number(row.id))).toEqual([2]);
  });
});
