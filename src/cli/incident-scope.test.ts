import { testKeyring } from '../../test/support/app.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRuntime, runCli } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { buildScopePopulation, SCOPE_CUTOFF, SEED_SELECTOR } from '../../test/support/scope-population.js';
import type { ScopeComparison, ScopeSnapshot } from '../modules/incidents/exposures.model.js';
import type { ExposureChange } from '../modules/incidents/exposures.service.js';
import type { ScopeExplanation } from '../modules/incidents/scope.service.js';
import { FixedClock } from '../platform/clock.js';
import { registerIncidentCommand } from './incident.js';

describe.each(backends)('riposte incident exposure and scope on %s', (backend) => {
  let database: TestDatabase;
  let clock: FixedClock;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    clock = new FixedClock('2026-06-01T12:00:00.000Z');
    await buildScopePopulation(database.db);
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli(
      (program, output) =>
        registerIncidentCommand(program, openRuntime({ db: database.db, clock, keyring: testKeyring(database) }), output),
      ['incident', ...args],
    );
    return stdout;
  }
  const runJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await run(...args, '--json')) as T;
  const file = (name: string, text: string): string => {
    const at = path.join(database.dataDir, name);
    fs.writeFileSync(at, text);
    return at;
  };

  it('adds and removes exposures, shows, compares and explains scope versions', async () => {
    const { id } = await runJson<{ id: number }>(
      'create',
      '--title',
      'Breach',
      '--became-aware-at',
      '2026-05-30T09:00:00Z',
      '--cutoff',
      SCOPE_CUTOFF,
    );
    const incident = String(id);
    const seed = file('seed.json', JSON.stringify(SEED_SELECTOR));
    const added = await runJson<ExposureChange>('exposure', 'add', incident, '--category', 'password_hashes', '--selector', seed);
    expect(added).toMatchObject({
      scopeVersion: 1,
      accountsInScope: 3,
      exposure: { category: 'password_hashes', target: { kind: 'selector' } },
    });

    const listed = file('accounts.csv', 'subdomain\nbeta\n');
    const second = await runJson<ExposureChange>('exposure', 'add', incident, '--category', 'contact_pii', '--accounts', listed);
    expect(second).toMatchObject({ scopeVersion: 2, accountsInScope: 4 });

    const scope = await runJson<ScopeSnapshot>('scope', incident);
    expect(scope).toMatchObject({ version: 2, totals: { accounts: 4, people: 5, records: { contact_pii: 1, password_hashes: 4 } } });
    expect(scope.accounts.find((a) => a.subdomain === 'beta')).toMatchObject({
      categories: ['contact_pii'],
      people: 1,
      records: { contact_pii: 1 },
    });
    expect((await runJson<ScopeSnapshot>('scope', incident, '--version', '1')).totals.accounts).toBe(3);
    expect(await run('scope', incident, '--version', '1')).toContain(
      '  acme: password_hashes; people 2 (1 agents, 1 end users); records password_hashes 2',
    );

    const removed = await runJson<ExposureChange>('exposure', 'remove', incident, String(second.exposure.id));
    expect(removed).toMatchObject({ scopeVersion: 3, accountsInScope: 3, exposure: { removedAt: '2026-06-01T12:00:00.000Z' } });
    expect(await runJson<ScopeComparison>('scope', 'diff', incident, '2', '3')).toEqual({
      incidentId: id,
      from: 2,
      to: 3,
      accountsAdded: [],
      accountsRemoved: ['beta'],
      categoriesChanged: [],
    });
    expect(await run('scope', 'diff', incident, '1', '2')).toContain('accounts added: beta');

    const why = await runJson<ScopeExplanation>('scope', 'explain', incident, '--account', 'acme', '--email', 'dana@acme.test');
    expect(why).toMatchObject({
      inScope: true,
      version: 3,
      exposures: [{ exposureId: added.exposure.id, matched: true, users: [{ matched: true }] }],
    });
    expect(await run('scope', 'explain', incident, '--account', 'beta')).toBe(
      `beta: not in scope at version 3\n  exposure ${added.exposure.id} (password_hashes): no match, 0 of the account's users match\n`,
    );
  });

  it('refuses a bad account line, a bad selector, and both or neither target', async () => {
    const { id } = await runJson<{ id: number }>('create', '--title', 'Breach', '--became-aware-at', '2026-05-30T09:00:00Z');
    const bad = file('bad.jsonl', '{"subdomain":"acme"}\n{"subdomain":"acme","extra":1}\n');
    await expect(run('exposure', 'add', String(id), '--category', 'contact_pii', '--accounts', bad)).rejects.toThrow(/^Line 2 /);
    const selector = file('bad.json', JSON.stringify({ any: [{ field: 'user.role', op: 'like', value: 'agent' }] }));
    await expect(run('exposure', 'add', String(id), '--category', 'contact_pii', '--selector', selector)).rejects.toThrow('any[0].op');
    await expect(run('exposure', 'add', String(id), '--category', 'contact_pii')).rejects.toThrow(/exactly one of --selector/);
    await expect(run('scope', String(id))).rejects.toMatchObject({ status: 404 });
  });
});
