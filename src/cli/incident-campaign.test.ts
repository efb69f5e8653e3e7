import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps } from '../../test/support/app.js';
import { openRuntime, runCli } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { insertAccount } from '../../test/support/fixtures.js';
import { insertPasswordCredential, insertUser } from '../../test/support/identity-fixtures.js';
import { FixedClock } from '../platform/clock.js';
import type { ServiceDeps } from '../platform/service-deps.js';
import { registerIncidentCommand } from './incident.js';

describe.each(backends)('riposte incident campaign on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database, new FixedClock('2026-06-01T12:00:00.000Z'));
    const account = await insertAccount(database.db, 'acme');
    for (const [email, sso] of [
      ['ana@acme.test', 0],
      ['sso@acme.test', 1],
    ] as const) {
      const user = await insertUser(database.db, account, email, { sso });
      await insertPasswordCredential(database.db, user);
    }
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli(
      (program, output) => registerIncidentCommand(program, openRuntime(deps), output),
      ['incident', ...args],
    );
    return stdout;
  }

  it('creates with a dry run, runs to done, and shows completion', async () => {
    const incident = JSON.parse(
      await run('create', '--title', 'Breach', '--became-aware-at', '2026-05-30T09:00:00Z', '--cutoff', '2016-11-01T00:00:00Z', '--json'),
    ) as { id: number };
    const selectorFile = path.join(database.dataDir, 'selector.json');
    fs.writeFileSync(selectorFile, JSON.stringify({ field: 'user.realm', op: 'eq', value: 'core' }));
    const created = JSON.parse(await run('campaign', 'create', String(incident.id), '--selector', selectorFile, '--json')) as {
      id: number;
      targets: number;
      exempt: Record<string, number>;
    };
    expect(created).toMatchObject({ targets: 1, exempt: { sso: 1, changed_since_cutoff: 0, other_realm: 0, no_password: 0 } });
    const finished = JSON.parse(await run('campaign', 'run', String(created.id), '--json')) as {
      state: string;
      progress: { done: number };
    };
    expect(finished).toMatchObject({ state: 'done', progress: { done: 1 } });
    const shown = await run('campaign', 'show', String(created.id));
    expect(shown).toContain('done');
    expect(shown).toContain('completion: 0/1');
    await expect(run('campaign', 'pause', String(created.id))).rejects.toThrow(/only a campaign that is running/);
  });

  it('orders batches weakest first and revokes critical targets’ API passwords with --order and --revoke-api-passwords', async () => {
    const incident = JSON.parse(
      await run('create', '--title', 'Breach', '--became-aware-at', '2026-05-30T09:00:00Z', '--cutoff', '2016-11-01T00:00:00Z', '--json'),
    ) as { id: number };
    const selectorFile = path.join(database.dataDir, 'selector.json');
    fs.writeFileSync(selectorFile, JSON.stringify({ field: 'user.realm', op: 'eq', value: 'core' }));
    const created = JSON.parse(
      await run(
        'campaign',
        'create',
        String(incident.id),
        '--selector',
        selectorFile,
        '--order',
        'weakest_first',
        '--revoke-api-passwords',
        'critical',
        '--json',
      ),
    ) as { id: number };
    // The fixtures' placeholder hash is argon2id: moderate.
    expect(created).toMatchObject({
      order: 'weakest_first',
      revoke_api_passwords: 'critical',
      by_tier: { critical: 0, high: 0, moderate: 1 },
    });
    await run('campaign', 'run', String(created.id), '--json');
    const shown = await run('campaign', 'show', String(created.id));
    expect(shown).toContain('order: weakest_first; targets by hash tier: critical 0, high 0, moderate 1');
    expect(shown).toContain('email:password API access revoked at start for critical targets: 0');
    await expect(run('campaign', 'create', String(incident.id), '--selector', selectorFile, '--order', 'strongest_first')).rejects.toThrow(
      /order must be one of by_account, weakest_first/,
    );
  });
});
