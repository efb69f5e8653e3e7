import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser } from '../../../test/support/identity-fixtures.js';
import { isAppError, type AppError } from '../../errors.js';
import { verifyAuditChains } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { importPopulation } from '../population/import.service.js';
import { createPrivateApp } from './apps.service.js';
import { installationExposureForAccount } from './installation-exposure.service.js';
import { decryptInstallationSecretConfidential } from './installation-secrets.js';
import { type ImportProblem } from '../../platform/json-lines/line-problems.js';
import { INSTALLATIONS_PER_TRANSACTION } from './installations-import.validation.js';

const fixtures = path.resolve(import.meta.dirname, '../../../test/fixtures/import');

function writeFiles(files: Record<string, string[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-installations-'));
  for (const [name, lines] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
  return dir;
}

const account = (subdomain: string): string =>
  JSON.stringify({
    subdomain,
    name: subdomain,
    status: 'active',
    activated_at: '2015-01-01T00:00:00Z',
    products: ['support'],
    owner_email: `owner@${subdomain}.test`,
  });
const installation = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    account: 'acme',
    app: 'Slack',
    marketplace: true,
    created_at: '2016-02-01T00:00:00Z',
    settings: { channel: '#help' },
    secure_settings: { api_token: 'xoxb-imported-secret' },
    ...fields,
  });

/** A distinct installation time per line. */
const at = (day: number): string => new Date(Date.UTC(2016, 0, day)).toISOString();

async function refusal(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe.each(backends)('installations.jsonl import on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
  });
  afterEach(() => database.dispose());

  const run = (dir: string) => importPopulation(database, dir, { clock: deps.clock, keyring: deps.keyring });
  const installationsOf = (subdomain: string) =>
    database.db
      .selectFrom('app_installations as i')
      .innerJoin('accounts as a', 'a.id', 'i.account_id')
      .selectAll('i')
      .where('a.subdomain', '=', subdomain)
      .orderBy('i.id')
      .execute();

  it('imports the fixture: secure settings sealed, set when the installation was made; again, it changes nothing', async () => {
    const first = await run(path.join(fixtures, 'valid'));
    expect(first.notices).toEqual([]);
    expect(first.installations).toEqual({ created: 1, unchanged: 0, secureSettings: 1, auditEvents: 1 });
    const [row] = await installationsOf('acme');
    expect(row).toMatchObject({ app_id: 1001, product: 'support', enabled: 1, created_at: '2016-02-01T00:00:00.000Z', created_by: null });
    expect(JSON.parse(row?.settings ?? '')).toEqual({ channel: '#help' });
    const secret = await database.db.selectFrom('installation_secrets').selectAll().executeTakeFirstOrThrow();
    expect(secret).toMatchObject({ field: 'api_token', set_at: '2016-02-01T00:00:00.000Z' });
    expect(secret.sealed).not.toContain('xoxb');
    expect(await decryptInstallationSecretConfidential(deps, Number(row?.account_id), Number(row?.id), 'api_token')).toBe(
      'xoxb-not-a-real-token',
    );
    const actions = await installationExposureForAccount(deps, Number(row?.account_id), '2016-11-01T00:00:00Z');
    expect(actions.map((item) => [item.appName, item.installedAt, item.staleSecrets])).toEqual([
      ['Slack', '2016-02-01T00:00:00.000Z', [{ field: 'api_token', setAt: '2016-02-01T00:00:00.000Z' }]],
    ]);

    const again = await run(path.join(fixtures, 'valid'));
    expect(again.installations).toEqual({ created: 0, unchanged: 1, secureSettings: 0, auditEvents: 0 });
    expect(await installationsOf('acme')).toHaveLength(1);
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
    const audit = await database.db.selectFrom('audit_events').select(['action', 'data']).execute();
    expect(audit.filter((event) => event.action === 'app_installations.imported')).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain('xoxb');
  });

  it('leaves installations.jsonl alone, with a notice, when secret files are not read', async () => {
    const summary = await importPopulation(database, path.join(fixtures, 'valid'), {
      clock: deps.clock,
      keyring: deps.keyring,
      secretFiles: false,
    });
    expect(summary.notices).toEqual([expect.stringContaining('installations.jsonl was found and left as it is')]);
    expect(summary.installations.created).toBe(0);
    expect(await database.db.selectFrom('app_installations').selectAll().execute()).toEqual([]);
  });

  it('refuses every bad line, naming line and field, never a secure value, and writes nothing', async () => {
    const dir = writeFiles({
      'accounts.jsonl': [account('acme')],
      'installations.jsonl': [
        installation({ app: 'Slackk', created_at: at(1) }),
        installation({ settings: { channel: '#help', bogus: 1 }, created_at: at(2) }),
        installation({ settings: { channel: '#help', api_token: 'xoxb-in-the-wrong-place' }, created_at: at(3) }),
        installation({ secure_settings: { api_token: 12345 }, created_at: at(4) }),
        installation({ secure_settings: { channel: 'xoxb-not-secure-field' }, created_at: at(5) }),
        installation({ account: 'nowhere', created_at: at(6) }),
        installation({ created_at: '2016-02-30T00:00:00Z' }),
        installation({ colour: 'red', created_at: at(8) }),
        installation({ created_at: at(9) }),
        installation({ created_at: at(9) }),
        installation({ marketplace: false, app: 'Home made', created_at: at(11) }),
        `{"account":"acme","app":"Slack","marketplace":true,"created_at":"${at(12)}","settings":{"__proto__":{"polluted":true}}}`,
        installation({ settings: ['#help'], created_at: at(13) }),
        '{not json',
      ],
    });
    const error = await refusal(run(dir));
    expect(error.code).toBe('ImportInvalid');
    const problems = (error.details as { problems: ImportProblem[] }).problems;
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [1, 'app'],
      [2, 'settings.bogus'],
      [3, 'settings.api_token'],
      [4, 'secure_settings.api_token'],
      [5, 'secure_settings.channel'],
      [6, 'account'],
      [7, 'created_at'],
      [8, 'colour'],
      [10, 'created_at'],
      [11, 'app'],
      [12, 'settings.__proto__'],
      [13, 'settings'],
      [14, undefined],
    ]);
    expect(problems.every((p) => p.file === 'installations.jsonl')).toBe(true);
    expect(problems[2]?.message).toContain('give it under secure_settings');
    expect(problems[9]?.message).toContain('create it first');
    expect(error.message).toContain('installations.jsonl line 3, field settings.api_token');
    expect(JSON.stringify([error.message, error.details])).not.toContain('xoxb');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await database.db.selectFrom('accounts').selectAll().execute()).toEqual([]);
    expect(await database.db.selectFrom('app_installations').selectAll().execute()).toEqual([]);
  });

  it("imports installations of an existing account's private apps, and of accounts already in the database", async () => {
    const acme = await insertAccount(database.db, 'acme');
    const admin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    await createPrivateApp(
      deps,
      { account: acme, user: admin, via: 'session', scopes: new Set(['read', 'write']), credentialId: null },
      {
        name: 'Home made',
        product: 'support',
        fields: [
          { name: 'endpoint', type: 'url' },
          { name: 'api_key', secure: true },
        ],
      },
    );
    const dir = writeFiles({
      'installations.jsonl': [
        installation({
          marketplace: false,
          app: 'Home made',
          settings: { endpoint: 'https://acme.example' },
          secure_settings: { api_key: 'k-1' },
        }),
        installation({
          marketplace: false,
          app: 'Home made',
          settings: { channel: '#x' },
          secure_settings: {},
          created_at: '2017-01-01T00:00:00Z',
        }),
      ],
    });
    const error = await refusal(run(dir));
    expect((error.details as { problems: ImportProblem[] }).problems.map((p) => [p.line, p.field])).toEqual([[2, 'settings.channel']]);

    fs.writeFileSync(
      path.join(dir, 'installations.jsonl'),
      `${installation({ marketplace: false, app: 'Home made', settings: { endpoint: 'https://acme.example' }, secure_settings: { api_key: 'k-1' }, enabled: false })}\n`,
    );
    const summary = await run(dir);
    expect(summary.installations).toMatchObject({ created: 1, secureSettings: 1 });
    const [row] = await installationsOf('acme');
    expect(row).toMatchObject({ enabled: 0 });
    expect(await decryptInstallationSecretConfidential(deps, acme.id, Number(row?.id), 'api_key')).toBe('k-1');
  });

  it('writes many lines in batches, sealing each batch at once', async () => {
    const lines = Array.from({ length: INSTALLATIONS_PER_TRANSACTION + 20 }, (_, i) =>
      installation({
        created_at: new Date(Date.UTC(2015, 0, 1) + i * 60_000).toISOString(),
        secure_settings: { api_token: `xoxb-${i}`, signing_secret: `sig-${i}` },
      }),
    );
    const dir = writeFiles({ 'accounts.jsonl': [account('acme')], 'installations.jsonl': lines });
    const summary = await run(dir);
    expect(summary.installations).toEqual({ created: lines.length, unchanged: 0, secureSettings: 2 * lines.length, auditEvents: 2 });
    const rows = await installationsOf('acme');
    const last = rows.at(-1);
    expect(await decryptInstallationSecretConfidential(deps, Number(last?.account_id), Number(last?.id), 'signing_secret')).toBe(
      `sig-${lines.length - 1}`,
    );
    expect((await run(dir)).installations).toMatchObject({ created: 0, unchanged: lines.length });
  });
});
