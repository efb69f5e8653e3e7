import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser } from '../../../test/support/identity-fixtures.js';
import { isAppError, type AppError } from '../../errors.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ImportProblem } from '../../platform/json-lines/line-problems.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import type { Principal } from '../accounts/principal.js';
import { importPopulation } from '../population/import.service.js';
import { createPrivateApp, MAX_PRIVATE_APPS_PER_ACCOUNT } from './apps.service.js';

function writeFiles(files: Record<string, unknown[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-apps-'));
  for (const [name, lines] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), `${lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}\n`);
  return dir;
}

const account = (subdomain: string) => ({
  subdomain,
  name: subdomain,
  status: 'active',
  activated_at: '2015-01-01T00:00:00Z',
  products: ['support'],
  owner_email: `owner@${subdomain}.test`,
});
const app = (fields: Record<string, unknown> = {}) => ({
  account: 'acme',
  name: 'Returns bot',
  product: 'support',
  created_at: '2015-06-01T00:00:00Z',
  fields: [
    { name: 'endpoint', type: 'url' },
    { name: 'api_key', secure: true },
  ],
  ...fields,
});
const privateInstallation = (fields: Record<string, unknown> = {}) => ({
  account: 'acme',
  app: 'Returns bot',
  marketplace: false,
  created_at: '2015-09-01T00:00:00Z',
  settings: { endpoint: 'https://acme.test/hook' },
  secure_settings: { api_key: 'k-1' },
  ...fields,
});

async function refusal(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

const located = (error: AppError) =>
  (error.details as { problems: ImportProblem[] }).problems.map((p) => [p.file, p.line, p.field ?? null] as const);

describe.each(backends)('apps.jsonl import on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
  });
  afterEach(() => database.dispose());

  const run = (dir: string) => importPopulation(database, dir, { clock: deps.clock, keyring: deps.keyring });
  const acmeAdmin = async () => {
    const acme = await insertAccount(database.db, 'acme');
    const admin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    const principal: Principal = { account: acme, user: admin, via: 'session', scopes: new Set(['read', 'write']), credentialId: null };
    return { principal, admin };
  };
  const nothingWritten = async () => {
    for (const table of ['accounts', 'apps', 'app_installations'] as const)
      expect(await database.db.selectFrom(table).selectAll().execute(), table).toEqual([]);
  };

  it('refuses every bad line, naming file, line and field, and does not blame the installations of a refused app', async () => {
    const dir = writeFiles({
      'accounts.jsonl': [account('acme')],
      'apps.jsonl': [
        app(),
        app({ name: 'Returns bot', created_at: '2016-01-01T00:00:00Z' }),
        app({ name: 'Slack' }),
        app({ name: ' Padded ' }),
        app({ name: 'Fax bridge', product: 'fax' }),
        app({ name: 'Undated', created_at: '2015-02-30T00:00:00Z' }),
        app({ name: 'No fields', fields: undefined }),
        app({ name: 'Bad fields', fields: [{ name: 'Key', secure: 'yes' }] }),
        app({ name: 'Elsewhere', account: 'nowhere' }),
        app({ name: 'Coloured', colour: 'red' }),
        '{not json',
      ],
      'installations.jsonl': [
        privateInstallation(),
        privateInstallation({ settings: { endpoint: 'https://acme.test', channel: '#x' }, created_at: '2015-09-02T00:00:00Z' }),
        privateInstallation({ app: 'Bad fields', settings: {}, secure_settings: {} }),
        privateInstallation({ app: 'Never defined', settings: {}, secure_settings: {} }),
      ],
    });
    const error = await refusal(run(dir));
    expect(error.code).toBe('ImportInvalid');
    expect(located(error)).toEqual([
      ['apps.jsonl', 2, 'name'],
      ['apps.jsonl', 3, 'name'],
      ['apps.jsonl', 4, 'name'],
      ['apps.jsonl', 5, 'product'],
      ['apps.jsonl', 6, 'created_at'],
      ['apps.jsonl', 7, 'fields'],
      ['apps.jsonl', 8, 'fields[0].name'],
      ['apps.jsonl', 8, 'fields[0].secure'],
      ['apps.jsonl', 9, 'account'],
      ['apps.jsonl', 10, 'colour'],
      ['apps.jsonl', 11, null],
      ['installations.jsonl', 2, 'settings.channel'],
      ['installations.jsonl', 4, 'app'],
    ]);
    const problems = (error.details as { problems: ImportProblem[] }).problems;
    expect(problems[0]?.message).toBe('account acme has this app already on line 1');
    expect(problems[1]?.message).toContain('is the name of a marketplace app');
    expect(problems.at(-1)?.message).toContain('or add it to apps.jsonl');
    expect(error.message).toContain('apps.jsonl line 5, field product');
    await nothingWritten();
  });

  it('refuses an account past the private-app limit, counting the apps it has', async () => {
    const { principal } = await acmeAdmin();
    await createPrivateApp(deps, principal, { name: 'Made here', product: 'support', fields: [] });
    const lines = Array.from({ length: MAX_PRIVATE_APPS_PER_ACCOUNT }, (_, i) => app({ name: `App ${i}`, fields: [] }));
    const error = await refusal(run(writeFiles({ 'apps.jsonl': lines })));
    expect(located(error)).toEqual([['apps.jsonl', MAX_PRIVATE_APPS_PER_ACCOUNT, 'name']]);
    expect(await database.db.selectFrom('apps').select('name').execute()).toEqual([{ name: 'Made here' }]);
  });

  it('leaves an app the account has already, and refuses one of the same name in another shape', async () => {
    const { principal, admin } = await acmeAdmin();
    const made = await createPrivateApp(deps, principal, {
      name: 'Returns bot',
      product: 'support',
      fields: [
        { name: 'endpoint', type: 'url' },
        { name: 'api_key', secure: true },
      ],
    });
    const conflicting = await refusal(
      run(writeFiles({ 'apps.jsonl': [app({ fields: [{ name: 'endpoint', type: 'url' }] }), app({ name: 'Other', product: 'chat' })] })),
    );
    expect(located(conflicting)).toEqual([['apps.jsonl', 1, 'fields']]);
    expect((conflicting.details as { problems: ImportProblem[] }).problems[0]?.message).toBe(
      'account acme already has private app "Returns bot" for support with endpoint, api_key; give the same product and fields, or another name',
    );
    const otherProduct = await refusal(run(writeFiles({ 'apps.jsonl': [app({ product: 'chat' })] })));
    expect(located(otherProduct)).toEqual([['apps.jsonl', 1, 'product']]);

    // The same app: unchanged, with the date the API gave it; an account of accounts.jsonl that exists already finds its apps.
    const dir = writeFiles({
      'accounts.jsonl': [account('acme')],
      'apps.jsonl': [app()],
      'installations.jsonl': [privateInstallation()],
    });
    const summary = await run(dir);
    expect(summary.apps).toEqual({ created: 0, unchanged: 1, auditEvents: 0 });
    expect(summary.installations).toMatchObject({ created: 1 });
    const stored = await database.db.selectFrom('apps').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ created_by: admin.id, created_at: deps.clock.now().toISOString() });
    const installation = await database.db.selectFrom('app_installations').selectAll().executeTakeFirstOrThrow();
    expect(Number(installation.app_id)).toBe(made.id);

    // Without apps.jsonl the installations of an existing account's own apps are found too.
    fs.rmSync(path.join(dir, 'apps.jsonl'));
    expect((await run(dir)).installations).toMatchObject({ created: 0, unchanged: 1 });
  });
});
