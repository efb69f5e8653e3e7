import { testKeyring } from '../../../test/support/app.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { buildScopePopulation, SCOPE_CUTOFF, SEED_SELECTOR, type ScopePopulation } from '../../../test/support/scope-population.js';
import { verifyAuditChains } from '../../platform/audit/audit.service.js';
import { FixedClock } from '../../platform/clock.js';
import { parseAccountList } from './exposures.model.js';
import { addExposure, listExposures, removeExposure } from './exposures.service.js';
import { declareIncident, getIncident, transitionIncident } from './incidents.service.js';
import { compareScopes, explainScope, getScope } from './scope.service.js';
import { type Keyring } from '../../platform/crypto/keyring.js';

const actor = { type: 'cli' as const };
const ACTIVATED_BEFORE_CUTOFF = { field: 'account.activated_at', op: 'before', value: SCOPE_CUTOFF };

describe.each(backends)('exposures and scope on %s', (backend) => {
  let database: TestDatabase;
  let deps: { db: TestDatabase['db']; clock: FixedClock; keyring: Keyring };
  let population: ScopePopulation;
  let incidentId: number;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = { db: database.db, clock: new FixedClock('2026-06-01T12:00:00.000Z'), keyring: testKeyring(database) };
    population = await buildScopePopulation(database.db);
    const incident = await declareIncident(deps, {
      title: 'Credential store copied',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: SCOPE_CUTOFF,
      actor,
    });
    incidentId = incident.id;
  });
  afterEach(() => database.dispose());

  it('scopes the seed selector to exactly the people it matches', async () => {
    const change = await addExposure(deps, { incidentId, category: 'password_hashes', selector: SEED_SELECTOR, actor });
    expect(change).toMatchObject({ scopeVersion: 1, accountsInScope: 3, exposure: { category: 'password_hashes', removedAt: null } });
    const scope = await getScope(deps, incidentId);
    expect(scope.version).toBe(1);
    expect(scope.accounts).toEqual([
      {
        subdomain: 'acme',
        accountId: population.accounts.acme.id,
        categories: ['password_hashes'],
        people: 2,
        peopleByRole: { agents: 1, endUsers: 1 },
        records: { password_hashes: 2 },
        hashTiers: { critical: 0, high: 0, moderate: 2 },
      },
      {
        subdomain: 'delta',
        accountId: population.accounts.delta.id,
        categories: ['password_hashes'],
        people: 1,
        peopleByRole: { agents: 0, endUsers: 1 },
        records: { password_hashes: 1 },
        hashTiers: { critical: 0, high: 0, moderate: 1 },
      },
      {
        subdomain: 'gamma',
        accountId: population.accounts.gamma.id,
        categories: ['password_hashes'],
        people: 1,
        peopleByRole: { agents: 1, endUsers: 0 },
        records: { password_hashes: 1 },
        hashTiers: { critical: 0, high: 0, moderate: 1 },
      },
    ]);
    expect(scope.totals).toEqual({
      accounts: 3,
      people: 4,
      peopleByRole: { agents: 2, endUsers: 2 },
      records: { password_hashes: 4 },
      hashTiers: { critical: 0, high: 0, moderate: 4 },
    });
  });

  it('keeps every version: add, add, remove give versions 1, 2, 3 with exact diffs', async () => {
    const first = await addExposure(deps, { incidentId, category: 'password_hashes', selector: SEED_SELECTOR, actor });
    deps.clock.advance(60_000);
    const second = await addExposure(deps, { incidentId, category: 'app_secrets', selector: ACTIVATED_BEFORE_CUTOFF, actor });
    expect(second.scopeVersion).toBe(2);
    const v2 = await getScope(deps, incidentId, 2);
    expect(v2.accounts.map((a) => [a.subdomain, a.categories, a.people, a.records])).toEqual([
      ['acme', ['password_hashes', 'app_secrets'], 2, { password_hashes: 2, app_secrets: 1 }],
      ['delta', ['password_hashes', 'app_secrets'], 1, { password_hashes: 1, app_secrets: 0 }],
      ['gamma', ['password_hashes', 'app_secrets'], 1, { password_hashes: 1, app_secrets: 0 }],
      ['sellco', ['app_secrets'], 0, { app_secrets: 1 }],
    ]);
    expect(await compareScopes(deps, incidentId, 1, 2)).toEqual({
      incidentId,
      from: 1,
      to: 2,
      accountsAdded: ['sellco'],
      accountsRemoved: [],
      categoriesChanged: ['acme', 'delta', 'gamma'].map((subdomain) => ({ subdomain, added: ['app_secrets'], removed: [] })),
    });

    deps.clock.advance(60_000);
    const removed = await removeExposure(deps, { incidentId, exposureId: first.exposure.id, actor });
    expect(removed).toMatchObject({ scopeVersion: 3, accountsInScope: 4, exposure: { removedAt: '2026-06-01T12:02:00.000Z' } });
    expect(await compareScopes(deps, incidentId, 2, 3)).toMatchObject({
      accountsAdded: [],
      accountsRemoved: [],
      categoriesChanged: ['acme', 'delta', 'gamma'].map((subdomain) => ({ subdomain, added: [], removed: ['password_hashes'] })),
    });
    expect(await compareScopes(deps, incidentId, 3, 1)).toMatchObject({ accountsAdded: [], accountsRemoved: ['sellco'] });
    expect((await getScope(deps, incidentId, 1)).totals.people).toBe(4);
    expect((await getScope(deps, incidentId)).totals).toEqual({
      accounts: 4,
      people: 0,
      peopleByRole: { agents: 0, endUsers: 0 },
      records: { app_secrets: 2 },
      hashTiers: null,
    });
    expect((await listExposures(deps, incidentId)).map((e) => e.id)).toEqual([second.exposure.id]);
    await expect(removeExposure(deps, { incidentId, exposureId: first.exposure.id, actor })).rejects.toMatchObject({ status: 409 });

    const incident = await getIncident(deps, incidentId);
    expect(incident.timeline.map((event) => event.kind)).toEqual(['declared', 'exposure_added', 'exposure_added', 'exposure_removed']);
    expect(incident.timeline[3]?.data).toMatchObject({ exposure_id: first.exposure.id, scope_version: 3, accounts: 4 });
    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true });
  });

  it('explains an account and a user clause by clause', async () => {
    await addExposure(deps, { incidentId, category: 'password_hashes', selector: SEED_SELECTOR, actor });
    await addExposure(deps, { incidentId, category: 'tls_keys', selector: ACTIVATED_BEFORE_CUTOFF, actor });

    const ana = await explainScope(deps, incidentId, { subdomain: 'acme', email: 'Ana@acme.test' });
    expect(ana).toMatchObject({
      subdomain: 'acme',
      email: 'ana@acme.test',
      version: 2,
      inScope: true,
      categories: ['password_hashes', 'tls_keys'],
    });
    expect(ana.exposures[0]).toMatchObject({ matched: true, users: [{ userId: population.users.ana?.id, realm: 'core', matched: true }] });
    expect(ana.exposures[1]).toMatchObject({ matched: true, account: { matched: true, actual: '2015-03-02T00:00:00.000Z' } });

    const bob = await explainScope(deps, incidentId, { subdomain: 'acme', email: 'bob@acme.test' });
    const bobClauses = bob.exposures[0]?.users?.[0]?.explanation;
    expect(bobClauses).toMatchObject({
      matched: false,
      all: [
        { path: 'all[0]', matched: true },
        { path: 'all[1]', matched: true },
        { path: 'all[2]', matched: true },
        { path: 'all[3]', field: 'user.password_changed_at', matched: false, actual: '2016-12-01T00:00:00.000Z' },
        { path: 'all[4]', matched: true },
      ],
    });

    const beta = await explainScope(deps, incidentId, { subdomain: 'beta' });
    expect(beta).toMatchObject({ inScope: false, categories: [] });
    expect(beta.exposures).toEqual([
      expect.objectContaining({ matched: false, matchedUsers: 0, reason: "0 of the account's users match" }),
      expect.objectContaining({ matched: false, account: expect.objectContaining({ matched: false, actual: '2018-01-01T00:00:00.000Z' }) }),
    ]);
    await expect(explainScope(deps, incidentId, { subdomain: 'acme', email: 'nobody@acme.test' })).rejects.toMatchObject({ status: 404 });
    await expect(explainScope(deps, incidentId, { subdomain: 'nowhere' })).rejects.toMatchObject({ status: 404 });
  });

  it('takes account lists from CSV and JSONL, and refuses a bad line naming it', async () => {
    const csv = parseAccountList(`account_id\n${population.accounts.beta.id}\ntrialco\n\n`, 'forensics.csv');
    expect(csv).toEqual([
      { line: 2, accountId: population.accounts.beta.id },
      { line: 3, subdomain: 'trialco' },
    ]);
    const change = await addExposure(deps, { incidentId, category: 'contact_pii', accountIds: csv, actor });
    expect(change.exposure.target).toEqual({
      kind: 'accounts',
      accountIds: [population.accounts.beta.id, population.accounts.trialco.id].sort((a, b) => a - b),
    });
    const scope = await getScope(deps, incidentId);
    expect(scope.accounts.map((a) => [a.subdomain, a.people, a.records])).toEqual([
      ['beta', 1, { contact_pii: 1 }],
      ['trialco', 1, { contact_pii: 1 }],
    ]);

    const jsonl = parseAccountList(`{"subdomain":"sellco"}\n{"account_id":${population.accounts.delta.id}}\n`, 'list.jsonl');
    expect((await addExposure(deps, { incidentId, category: 'ticket_data', accountIds: jsonl, actor })).accountsInScope).toBe(4);

    expect(() => parseAccountList('{"subdomain":"acme"}\n{"subdomain":"beta"}\n{"account":1}\n', 'list.jsonl')).toThrow(/^Line 3 /);
    expect(() => parseAccountList('{"subdomain":"acme"}\nnot json\n', 'list.jsonl')).toThrow(/^Line 2 is not JSON/);
    expect(() => parseAccountList('acme\nbad value!\n', 'list.csv')).toThrow(/^Line 2: "bad value!"/);
    await expect(
      addExposure(deps, { incidentId, category: 'contact_pii', accountIds: parseAccountList('acme\nghost\n', 'a.csv'), actor }),
    ).rejects.toThrow('Line 2: no account has subdomain "ghost"');
    expect((await getScope(deps, incidentId)).version).toBe(2);
  });

  it('refuses an invalid selector naming the path, an unknown category, and a closed incident', async () => {
    const bad = {
      all: [
        { field: 'user.realm', op: 'eq', value: 'core' },
        { field: 'user.shoe_size', op: 'eq', value: 42 },
      ],
    };
    await expect(addExposure(deps, { incidentId, category: 'contact_pii', selector: bad, actor })).rejects.toMatchObject({
      status: 422,
      code: 'InvalidSelector',
      message: expect.stringContaining('all[1].field') as string,
    });
    await expect(addExposure(deps, { incidentId, category: 'shoe_sizes', selector: SEED_SELECTOR, actor })).rejects.toMatchObject({
      status: 422,
    });
    await expect(getScope(deps, incidentId)).rejects.toMatchObject({ status: 404, code: 'ScopeNotFound' });
    await expect(getScope(deps, 9999)).rejects.toMatchObject({ status: 404 });
    await transitionIncident(deps, { incidentId, to: 'closed', actor });
    await expect(addExposure(deps, { incidentId, category: 'contact_pii', selector: SEED_SELECTOR, actor })).rejects.toMatchObject({
      status: 409,
      code: 'IncidentClosed',
    });
  });
});
