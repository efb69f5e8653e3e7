import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerImportCommand } from '../../src/cli/import.js';
import type { Database as Tables } from '../../src/db/schema.js';
import { isAppError } from '../../src/errors.js';
import { installationExposureForAccount } from '../../src/modules/apps/installation-exposure.service.js';
import { decryptInstallationSecretConfidential } from '../../src/modules/apps/installation-secrets.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { explainScope, getScope } from '../../src/modules/incidents/scope.service.js';
import { selectAccountsMatching, selectUsersMatching } from '../../src/modules/incidents/selectors/selector.compile.js';
import { verifyAuditChains } from '../../src/platform/audit/audit.service.js';
import { FixedClock } from '../../src/platform/clock.js';
import type { ImportProblem } from '../../src/platform/json-lines/line-problems.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';
import { testDeps, testKeyring } from '../support/app.js';
import { openRuntime, runCli } from '../support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { dumpPopulation } from '../support/population-dump.js';

/**
 * History that imports whole: accounts with their creation dates (a trial
 * created before the cutoff and never activated among them), private apps
 * with theirs, and installations of those apps with theirs, in one
 * `riposte import`; again, nothing changes; and `account.created_at` scopes
 * the old trial that `account.activated_at` cannot.
 */

const CUTOFF = '2016-11-01T00:00:00Z';
const NOW = '2026-06-01T12:00:00.000Z';

const lines = (...values: unknown[]): string => `${values.map((value) => JSON.stringify(value)).join('\n')}\n`;

const ACCOUNTS = [
  {
    subdomain: 'acme',
    name: 'Acme',
    status: 'active',
    created_at: '2015-01-15T00:00:00Z',
    activated_at: '2015-03-02T00:00:00Z',
    products: ['support', 'sell'],
    owner_email: 'owner@acme.test',
  },
  // Signed up before the cutoff, never activated: only its creation date says it was there.
  {
    subdomain: 'oldtrial',
    name: 'Old trial',
    status: 'trial_expired',
    created_at: '2016-03-01T00:00:00Z',
    activated_at: null,
    products: ['support'],
    owner_email: 'owner@oldtrial.test',
  },
  {
    subdomain: 'newtrial',
    name: 'New trial',
    status: 'trial',
    created_at: '2018-05-01T00:00:00Z',
    activated_at: null,
    products: ['support'],
    owner_email: 'owner@newtrial.test',
  },
  // No created_at: today's rule, dated from the import for a trial never activated.
  { subdomain: 'undated', name: 'Undated', status: 'trial', activated_at: null, products: ['support'], owner_email: 'owner@undated.test' },
];

const person = (account: string, created: string) => ({
  account,
  realm: 'core',
  role: 'admin',
  name: `Admin of ${account}`,
  email: `owner@${account}.test`,
  created_at: created,
  sso: false,
  products: ['support'],
  password_hash: `$sha256$salt$${'0'.repeat(64)}`,
});

const RETURNS_BOT_FIELDS = [
  { name: 'endpoint', type: 'url', required: true },
  { name: 'api_key', secure: true, required: true },
];
const APPS = [
  { account: 'acme', name: 'Returns bot', product: 'support', created_at: '2015-06-01T00:00:00Z', fields: RETURNS_BOT_FIELDS },
  { account: 'acme', name: 'Ledger sync', product: 'sell', created_at: '2015-07-01T00:00:00Z', fields: [] },
  // Another account's app of the same name is another app.
  {
    account: 'oldtrial',
    name: 'Returns bot',
    product: 'support',
    created_at: '2016-03-02T00:00:00Z',
    fields: [{ name: 'token', secure: true }],
  },
];

const INSTALLATIONS = [
  {
    account: 'acme',
    app: 'Returns bot',
    marketplace: false,
    created_at: '2015-09-01T00:00:00Z',
    settings: { endpoint: 'https://returns.acme.test/hook' },
    secure_settings: { api_key: 'rb-acme-secret' },
  },
  { account: 'acme', app: 'Ledger sync', marketplace: false, created_at: '2015-07-02T00:00:00Z', settings: {}, enabled: false },
  {
    account: 'acme',
    app: 'Slack',
    marketplace: true,
    created_at: '2016-02-01T00:00:00Z',
    settings: { channel: '#help' },
    secure_settings: { api_token: 'xoxb-acme' },
  },
  {
    account: 'oldtrial',
    app: 'Returns bot',
    marketplace: false,
    created_at: '2016-04-01T00:00:00Z',
    settings: {},
    secure_settings: { token: 'rb-oldtrial-secret' },
  },
];

function writePopulation(dir: string, overrides: { apps?: string } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'accounts.jsonl'), lines(...ACCOUNTS));
  fs.writeFileSync(
    path.join(dir, 'users.jsonl'),
    lines(...ACCOUNTS.map((account) => person(account.subdomain, account.created_at ?? '2020-01-01T00:00:00Z'))),
  );
  fs.writeFileSync(path.join(dir, 'apps.jsonl'), overrides.apps ?? lines(...APPS));
  fs.writeFileSync(path.join(dir, 'installations.jsonl'), lines(...INSTALLATIONS));
}

/** Every row the import writes, apps and installations included. */
async function dumpHistory(database: TestDatabase): Promise<Record<string, unknown[]>> {
  const { db } = database;
  const table = (name: 'apps' | 'app_installations') =>
    db.selectFrom(name).selectAll().orderBy('account_id').orderBy('id').execute() as Promise<Array<Tables[typeof name]>>;
  return {
    ...(await dumpPopulation(database)),
    apps: await table('apps'),
    installations: await table('app_installations'),
    secrets: await db
      .selectFrom('installation_secrets')
      .selectAll()
      .orderBy('account_id')
      .orderBy('installation_id')
      .orderBy('field')
      .execute(),
  };
}

describe.each(backends)('history imported whole on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let dir: string;

  const runImport = async (from: string): Promise<Record<string, unknown>> => {
    const open = openRuntime({
      handle: database,
      clock: deps.clock,
      keyring: deps.keyring,
      config: { baseDomain: 'localhost', port: 3000 },
    });
    const { stdout } = await runCli((program, output) => registerImportCommand(program, open, output), ['import', from, '--json']);
    return JSON.parse(stdout) as Record<string, unknown>;
  };
  const accountId = async (subdomain: string): Promise<number> =>
    Number((await database.db.selectFrom('accounts').select('id').where('subdomain', '=', subdomain).executeTakeFirstOrThrow()).id);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database, new FixedClock(NOW));
    dir = path.join(database.dataDir, 'history');
    writePopulation(dir);
  });
  afterAll(() => database.dispose());

  it('imports accounts, private apps and their installations in one run, each with its own dates', async () => {
    const summary = await runImport(dir);
    expect(summary).toMatchObject({
      accounts: { created: 4, unchanged: 0 },
      users: { created: 4 },
      apps: { created: 3, unchanged: 0, auditEvents: 2 },
      installations: { created: 4, unchanged: 0, secureSettings: 3 },
    });
    const accounts = await database.db
      .selectFrom('accounts')
      .select(['subdomain', 'created_at', 'activated_at'])
      .orderBy('subdomain')
      .execute();
    expect(accounts).toEqual([
      { subdomain: 'acme', created_at: '2015-01-15T00:00:00.000Z', activated_at: '2015-03-02T00:00:00.000Z' },
      { subdomain: 'newtrial', created_at: '2018-05-01T00:00:00.000Z', activated_at: null },
      { subdomain: 'oldtrial', created_at: '2016-03-01T00:00:00.000Z', activated_at: null },
      { subdomain: 'undated', created_at: NOW, activated_at: null },
    ]);

    const apps = await database.db
      .selectFrom('apps')
      .innerJoin('accounts', 'accounts.id', 'apps.account_id')
      .select(['accounts.subdomain', 'apps.id', 'apps.name', 'apps.product', 'apps.fields', 'apps.created_at', 'apps.created_by'])
      .orderBy('apps.created_at')
      .execute();
    expect(apps.map((app) => [app.subdomain, app.name, app.product, app.created_at, app.created_by])).toEqual([
      ['acme', 'Returns bot', 'support', '2015-06-01T00:00:00.000Z', null],
      ['acme', 'Ledger sync', 'sell', '2015-07-01T00:00:00.000Z', null],
      ['oldtrial', 'Returns bot', 'support', '2016-03-02T00:00:00.000Z', null],
    ]);
    expect(JSON.parse(apps[0]?.fields ?? '')).toEqual([
      { name: 'endpoint', type: 'url', secure: false, required: true },
      { name: 'api_key', type: 'text', secure: true, required: true },
    ]);
    expect(apps.every((app) => Number(app.id) >= 100_000)).toBe(true);

    const installations = await database.db
      .selectFrom('app_installations')
      .innerJoin('accounts', 'accounts.id', 'app_installations.account_id')
      .select(['accounts.subdomain', 'app_installations.id', 'app_id', 'product', 'enabled', 'app_installations.created_at'])
      .orderBy('app_installations.created_at')
      .execute();
    const appId = (subdomain: string, name: string) => Number(apps.find((app) => app.subdomain === subdomain && app.name === name)?.id);
    expect(installations.map((row) => [row.subdomain, Number(row.app_id), row.product, row.enabled, row.created_at])).toEqual([
      ['acme', appId('acme', 'Ledger sync'), 'sell', 0, '2015-07-02T00:00:00.000Z'],
      ['acme', appId('acme', 'Returns bot'), 'support', 1, '2015-09-01T00:00:00.000Z'],
      ['acme', 1001, 'support', 1, '2016-02-01T00:00:00.000Z'],
      ['oldtrial', appId('oldtrial', 'Returns bot'), 'support', 1, '2016-04-01T00:00:00.000Z'],
    ]);
    const oldtrialInstallation = installations[3]!;
    expect(await decryptInstallationSecretConfidential(deps, await accountId('oldtrial'), Number(oldtrialInstallation.id), 'token')).toBe(
      'rb-oldtrial-secret',
    );

    // The customer's to-do list dates the private app's key from its 2015 installation.
    const acmeActions = await installationExposureForAccount(deps, await accountId('acme'), CUTOFF);
    expect(acmeActions.map((item) => [item.appName, item.installedAt, item.staleSecrets])).toEqual(
      expect.arrayContaining([['Returns bot', '2015-09-01T00:00:00.000Z', [{ field: 'api_key', setAt: '2015-09-01T00:00:00.000Z' }]]]),
    );

    const audit = await database.db
      .selectFrom('audit_events')
      .select(['account_id', 'action', 'data'])
      .where('action', '=', 'apps.imported')
      .execute();
    expect(audit.map((event) => [Number(event.account_id), JSON.parse(event.data ?? '{}') as unknown])).toEqual(
      expect.arrayContaining([
        [await accountId('acme'), { source: 'import', created: 2, unchanged: 0, names: ['Returns bot', 'Ledger sync'] }],
        [await accountId('oldtrial'), { source: 'import', created: 1, unchanged: 0, names: ['Returns bot'] }],
      ]),
    );
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
  });

  it('changes nothing when the same directory is imported again, later', async () => {
    const before = await dumpHistory(database);
    deps.clock.advance(86_400_000);
    const again = await runImport(dir);
    expect(again).toMatchObject({
      accounts: { created: 0, unchanged: 4 },
      users: { created: 0, unchanged: 4 },
      apps: { created: 0, unchanged: 3, auditEvents: 0 },
      installations: { created: 0, unchanged: 4, secureSettings: 0 },
      auditEvents: 0,
    });
    expect(await dumpHistory(database)).toEqual(before);
  });

  it('scopes the trial created before the cutoff and never activated by account.created_at', async () => {
    const createdBefore = { field: 'account.created_at', op: 'before', value: CUTOFF } as const;
    const neverActivated = { field: 'account.activated_at', op: 'is_null', value: true } as const;
    const oldTrial = { all: [createdBefore, neverActivated] };
    const accountsMatching = async (selector: unknown) =>
      (await selectAccountsMatching(database.db, selector as never).execute()).map((row) => Number(row.id)).sort((a, b) => a - b);
    expect(await accountsMatching(oldTrial)).toEqual([await accountId('oldtrial')]);
    expect(await accountsMatching(createdBefore)).toEqual([await accountId('acme'), await accountId('oldtrial')].sort((a, b) => a - b));
    expect(await accountsMatching({ field: 'account.created_at', op: 'after', value: CUTOFF })).toEqual(
      [await accountId('newtrial'), await accountId('undated')].sort((a, b) => a - b),
    );
    // The same clause over users (the query joins accounts only for it).
    const users = await selectUsersMatching(database.db, { all: [oldTrial, { field: 'user.role', op: 'eq', value: 'admin' }] }).execute();
    expect(users.map((row) => Number(row.account_id))).toEqual([await accountId('oldtrial')]);

    // As an exposure: the old trial's 2016 private-app key is in scope, and the explanation shows the date.
    const incident = await declareIncident(deps, {
      title: 'Integration keys copied',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: CUTOFF,
      actor: { type: 'cli' },
    });
    await addExposure(deps, {
      incidentId: incident.id,
      category: 'app_secrets',
      selector: { any: [{ field: 'account.activated_at', op: 'before', value: CUTOFF }, oldTrial] },
      actor: { type: 'cli' },
    });
    const scope = await getScope(deps, incident.id);
    expect(scope.accounts.map((account) => [account.subdomain, account.records])).toEqual([
      ['acme', { app_secrets: 2 }],
      ['oldtrial', { app_secrets: 1 }],
    ]);
    const why = await explainScope(deps, incident.id, { subdomain: 'oldtrial' });
    expect(why.inScope).toBe(true);
    expect(why.exposures[0]?.account).toMatchObject({
      matched: true,
      any: [
        { field: 'account.activated_at', actual: null, matched: false },
        { matched: true, all: [{ field: 'account.created_at', actual: '2016-03-01T00:00:00.000Z', matched: true }, { matched: true }] },
      ],
    });
  });
});

describe.each(backends)('a bad apps.jsonl on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
  });
  afterAll(() => database.dispose());

  it('refuses the whole import, naming apps.jsonl, the line and the field, and writes nothing', async () => {
    const dir = path.join(database.dataDir, 'bad-apps');
    const bad: unknown[] = [...APPS];
    bad[1] = { ...APPS[1], fields: [{ name: 'api_key', secure: true, type: 'checkbox' }] };
    writePopulation(dir, { apps: lines(...bad) });
    const open = openRuntime({ handle: database, clock: deps.clock, keyring: deps.keyring });
    const error = await runCli((program, output) => registerImportCommand(program, open, output), ['import', dir]).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!isAppError(error)) throw new Error(`expected ImportInvalid, got ${String(error)}`);
    expect(error.code).toBe('ImportInvalid');
    const problems = (error.details as { problems: ImportProblem[] }).problems;
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([['apps.jsonl', 2, 'fields[0].secure']]);
    expect(error.message).toContain('apps.jsonl line 2, field fields[0].secure');
    for (const table of ['accounts', 'users', 'apps', 'app_installations', 'installation_secrets', 'audit_events'] as const)
      expect(await database.db.selectFrom(table).selectAll().execute(), table).toEqual([]);
  });
});
