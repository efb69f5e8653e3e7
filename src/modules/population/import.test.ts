import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { dumpPopulation } from '../../../test/support/population-dump.js';
import { isAppError, type AppError } from '../../errors.js';
import { verifyAuditChains } from '../../platform/audit/audit.service.js';
import { FixedClock } from '../../platform/clock.js';
import { maskToProducts } from '../../platform/products.js';
import { importPopulation } from './import.service.js';
import { testKeyring } from '../../../test/support/app.js';
import { LISTED_PROBLEMS, type ImportProblem } from '../../platform/json-lines/line-problems.js';

const fixtures = path.resolve(import.meta.dirname, '../../../test/fixtures/import');

async function refusal(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

function writeFiles(files: Record<string, string[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-import-'));
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
const user = (accountName: string, email: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    account: accountName,
    realm: 'core',
    role: 'end-user',
    name: email,
    email,
    created_at: '2016-01-01T00:00:00Z',
    sso: false,
    products: ['support'],
    ...extra,
  });

describe.each(backends)('import on %s', (backend) => {
  let database: TestDatabase;
  const clock = new FixedClock('2026-01-01T00:00:00.000Z');
  beforeEach(async () => {
    database = await openTestDatabase(backend);
  });
  afterEach(() => database.dispose());

  it('imports the fixture with its defaults, one audit event per account, and a notice for installations', async () => {
    const summary = await importPopulation(database, path.join(fixtures, 'valid'), {
      clock,
      keyring: testKeyring(database),
      secretFiles: false,
    });
    expect(summary).toMatchObject({
      accounts: { created: 4, unchanged: 0 },
      users: { created: 6, unchanged: 0 },
      passwords: { created: 5 },
      auditEvents: 4,
    });
    expect(summary.notices).toEqual([expect.stringContaining('installations.jsonl was found')]);

    const { db } = database;
    const acme = await db.selectFrom('accounts').selectAll().where('subdomain', '=', 'acme').executeTakeFirstOrThrow();
    expect(acme).toMatchObject({
      status: 'active',
      activated_at: '2015-03-02T00:00:00.000Z',
      host_mapping: 'help.acme.test',
      locale: 'fr',
    });
    expect(maskToProducts(acme.products_mask)).toEqual(['support', 'chat', 'sell']);
    const globex = await db.selectFrom('accounts').selectAll().where('subdomain', '=', 'globex').executeTakeFirstOrThrow();
    expect(globex).toMatchObject({
      status: 'trial',
      activated_at: null,
      locale: 'en',
      owner_email: 'owner@globex.test',
      host_mapping: null,
    });
    const initech = await db.selectFrom('accounts').selectAll().where('subdomain', '=', 'initech').executeTakeFirstOrThrow();
    expect(initech.activated_at).toBe('2010-06-15T06:30:00.000Z');

    const users = await db.selectFrom('users').selectAll().where('account_id', '=', acme.id).orderBy('id').execute();
    expect(users.map((u) => [u.realm, u.role, u.email, u.active, u.sso])).toEqual([
      ['core', 'admin', 'ana@acme.test', 1, 0],
      ['core', 'agent', 'ben@acme.test', 1, 0],
      ['core', 'end-user', 'carla@example.com', 0, 0],
      ['sell', 'agent', 'ana@acme.test', 1, 0],
    ]);
    const credentials = await db
      .selectFrom('password_credentials')
      .selectAll()
      .where('account_id', '=', acme.id)
      .orderBy('user_id')
      .execute();
    expect(credentials.map((c) => [c.user_id, c.password_changed_at, c.must_change])).toEqual([
      [users[0]!.id, '2015-02-01T00:00:00.000Z', 0],
      // No password_changed_at: the password dates from the user's creation.
      [users[1]!.id, '2016-05-01T12:00:00.000Z', 0],
      [users[3]!.id, '2018-10-01T00:00:00.000Z', 0],
    ]);

    const events = await db.selectFrom('audit_events').selectAll().where('action', '=', 'account.imported').orderBy('account_id').execute();
    expect(events).toHaveLength(4);
    expect(JSON.parse(events[0]!.data)).toEqual({
      source: 'import',
      account: 'created',
      users_created: 4,
      users_unchanged: 0,
      passwords_created: 3,
    });
    expect(events.map((e) => e.data).join()).not.toMatch(/@|Ana|acme/);
    expect((await verifyAuditChains(db, testKeyring(database))).ok).toBe(true);
  });

  it('refuses invalid files naming file, line and field, and writes nothing', async () => {
    const error = await refusal(importPopulation(database, path.join(fixtures, 'invalid'), { clock, keyring: testKeyring(database) }));
    expect(error.code).toBe('ImportInvalid');
    const problems = error.details?.problems as ImportProblem[];
    const at = (file: string, line: number, field?: string): ImportProblem | undefined =>
      problems.find((p) => p.file === file && p.line === line && p.field === field);
    expect(at('accounts.jsonl', 2, 'status')?.message).toMatch(/one of trial, active, trial_expired, inactive; got "paused"/);
    expect(at('accounts.jsonl', 2, 'activated_at')?.message).toMatch(/ISO-8601/);
    expect(at('accounts.jsonl', 3, 'plan')?.message).toMatch(/not a known field/);
    expect(at('users.jsonl', 2, 'role')?.message).toMatch(/one of end-user, agent, admin; got "owner"/);
    expect(at('users.jsonl', 3, 'account')?.message).toMatch(/"umbrella", which is neither in accounts.jsonl nor in the database/);
    expect(at('users.jsonl', 4, 'email')?.message).toMatch(/ana@acme.test is already on line 1/);
    expect(at('users.jsonl', 5, 'created_at')?.message).toMatch(/ISO-8601/);
    expect(at('users.jsonl', 5, 'password_hash')?.message).toMatch(/not in a recognised format/);
    expect(at('users.jsonl', 6, 'password_hash')).toBeDefined();
    expect(at('users.jsonl', 7)?.message).toMatch(/not valid JSON/);
    expect(error.message).toContain('users.jsonl line 2, field role:');
    expect(error.message).toMatch(/^Nothing was imported: 10 problems/);

    const dump = await dumpPopulation(database);
    expect(Object.values(dump).every((rows) => rows.length === 0)).toBe(true);
  });

  it('lists the first problems and counts the rest', async () => {
    const lines = Array.from({ length: 45 }, (_, i) => user('acme', `u${i}@acme.test`, { role: 'boss' }));
    const error = await refusal(
      importPopulation(database, writeFiles({ 'accounts.jsonl': [account('acme')], 'users.jsonl': lines }), {
        clock,
        keyring: testKeyring(database),
      }),
    );
    expect(error.details?.total).toBe(45);
    expect(error.details?.problems).toHaveLength(LISTED_PROBLEMS);
    expect(error.message).toContain(`and ${45 - LISTED_PROBLEMS} more`);
    expect(await database.db.selectFrom('accounts').select('id').execute()).toEqual([]);
  });

  it('changes nothing when the same files are imported again', async () => {
    const dir = path.join(fixtures, 'valid');
    await importPopulation(database, dir, { clock, keyring: testKeyring(database) });
    const before = await dumpPopulation(database);
    clock.advance(3_600_000);
    const again = await importPopulation(database, dir, { clock, keyring: testKeyring(database) });
    expect(again).toMatchObject({
      accounts: { created: 0, unchanged: 4 },
      users: { created: 0, unchanged: 6 },
      passwords: { created: 0 },
      auditEvents: 0,
    });
    expect(await dumpPopulation(database)).toEqual(before);
  });

  it('adds only the new users of an existing account, and audits that account again', async () => {
    await importPopulation(database, writeFiles({ 'accounts.jsonl': [account('acme')], 'users.jsonl': [user('acme', 'a@acme.test')] }), {
      clock,
      keyring: testKeyring(database),
    });
    // The second file names the account without listing it again: it is in the database.
    const summary = await importPopulation(
      database,
      writeFiles({ 'users.jsonl': [user('acme', 'a@acme.test'), user('acme', 'b@acme.test')] }),
      { clock, keyring: testKeyring(database) },
    );
    expect(summary).toMatchObject({ accounts: { created: 0, unchanged: 0 }, users: { created: 1, unchanged: 1 }, auditEvents: 1 });
    const events = await database.db.selectFrom('audit_events').select('data').orderBy('seq').execute();
    expect(events.map((e) => JSON.parse(e.data) as unknown)).toEqual([
      { source: 'import', account: 'created', users_created: 1, users_unchanged: 0, passwords_created: 0 },
      { source: 'import', account: 'existing', users_created: 1, users_unchanged: 1, passwords_created: 0 },
    ]);
  });

  it('writes one transaction on SQLite; on PostgreSQL commits between accounts of a grouped file and keeps an interleaved one whole', async () => {
    const grouped = ['a', 'b', 'c'].flatMap((name) => Array.from({ length: 4 }, (_, i) => user(name, `u${i}@${name}.test`)));
    const accounts = ['a', 'b', 'c'].map(account);
    // PostgreSQL is shared with other processes: its import commits in short transactions (import.service.ts).
    const sharedAcrossProcesses = database.capabilities.sharedAcrossProcesses;
    const split = await importPopulation(database, writeFiles({ 'accounts.jsonl': accounts, 'users.jsonl': grouped }), {
      clock,
      keyring: testKeyring(database),
      rowsPerTransaction: 3,
    });
    expect(split).toMatchObject({ users: { created: 12 }, auditEvents: 3, transactions: sharedAcrossProcesses ? 3 : 1 });

    const other = await openTestDatabase(backend);
    try {
      const interleaved = [...grouped.slice(0, 2), ...grouped.slice(4, 6), ...grouped.slice(2, 4), ...grouped.slice(6)];
      const whole = await importPopulation(other, writeFiles({ 'accounts.jsonl': accounts, 'users.jsonl': interleaved }), {
        clock,
        keyring: testKeyring(other),
        rowsPerTransaction: 3,
      });
      // a and b interleave: they share a transaction; c comes after both.
      expect(whole).toMatchObject({ users: { created: 12 }, auditEvents: 3, transactions: sharedAcrossProcesses ? 2 : 1 });
      const data = await other.db.selectFrom('audit_events').select('data').execute();
      expect(data.map((e) => (JSON.parse(e.data) as { users_created: number }).users_created)).toEqual([4, 4, 4]);
    } finally {
      await other.dispose();
    }
  });

  it('writes nothing when bad lines come after many good ones, and names them', async () => {
    // More users than the writer holds before it writes: some were written when the bad lines are read.
    const good = Array.from({ length: 15_000 }, (_, i) => user(i < 7_500 ? 'acme' : 'globex', `u${i}@example.test`));
    const bad = [user('umbrella', 'x@umbrella.test'), user('acme', 'u0@example.test')];
    const error = await refusal(
      importPopulation(database, writeFiles({ 'accounts.jsonl': [account('acme'), account('globex')], 'users.jsonl': [...good, ...bad] }), {
        clock,
        keyring: testKeyring(database),
      }),
    );
    expect(error.details?.problems).toEqual([
      { file: 'users.jsonl', line: 15_001, field: 'account', message: expect.stringContaining('"umbrella", which is neither') },
      { file: 'users.jsonl', line: 15_002, field: 'email', message: expect.stringContaining('already on line 1 for account acme') },
    ]);
    const dump = await dumpPopulation(database);
    expect(Object.values(dump).every((rows) => rows.length === 0)).toBe(true);
  });

  it('looks up accounts outside accounts.jsonl whichever batch names them, and names every line of one that does not exist', async () => {
    await importPopulation(database, writeFiles({ 'accounts.jsonl': [account('acme'), account('globex')] }), {
      clock,
      keyring: testKeyring(database),
    });
    // Many batches of the checking thread; globex is first named deep in the file.
    const inDatabase = Array.from({ length: 12_000 }, (_, i) => user(i < 9_000 ? 'acme' : 'globex', `u${i}@example.test`));
    const summary = await importPopulation(database, writeFiles({ 'users.jsonl': inDatabase }), { clock, keyring: testKeyring(database) });
    expect(summary).toMatchObject({ accounts: { created: 0 }, users: { created: 12_000 }, auditEvents: 2 });

    const unknownAt = [3, 5_000, 11_999];
    const lines = Array.from({ length: 12_000 }, (_, i) =>
      unknownAt.includes(i + 1) ? user('umbrella', `x${i}@umbrella.test`) : user('acme', `v${i}@example.test`),
    );
    const error = await refusal(
      importPopulation(database, writeFiles({ 'users.jsonl': lines }), { clock, keyring: testKeyring(database) }),
    );
    expect((error.details?.problems as ImportProblem[]).map((problem) => [problem.line, problem.field])).toEqual(
      unknownAt.map((line) => [line, 'account']),
    );
    const users = await database.db.selectFrom('users').select('email').where('email', 'like', 'v%').execute();
    expect(users).toEqual([]);
  });

  it('finds a repeated email when an account’s lines come back, once or many times, after others', async () => {
    // Only the account whose lines run keeps its emails; the first to come back has the ended ones read again.
    const lines = [
      user('acme', 'a1@example.test'),
      user('globex', 'g1@example.test'),
      user('acme', 'a2@example.test'),
      user('globex', 'g2@example.test'),
      user('acme', 'a1@example.test'),
      user('globex', 'g1@example.test'),
      user('globex', 'g3@example.test'),
      user('globex', 'g3@example.test'),
    ];
    const error = await refusal(
      importPopulation(database, writeFiles({ 'accounts.jsonl': [account('acme'), account('globex')], 'users.jsonl': lines }), {
        clock,
        keyring: testKeyring(database),
      }),
    );
    expect((error.details?.problems as ImportProblem[]).map((problem) => [problem.line, problem.message])).toEqual([
      [5, expect.stringContaining('a1@example.test is already on line 1 for account acme')],
      [6, expect.stringContaining('g1@example.test is already on line 2 for account globex')],
      [8, expect.stringContaining('g3@example.test is already on line 7 for account globex')],
    ]);
  });

  it('refuses a host mapping another account holds, and a directory without import files', async () => {
    await importPopulation(
      database,
      writeFiles({ 'accounts.jsonl': [JSON.stringify({ ...JSON.parse(account('acme')), host_mapping: 'help.example.test' })] }),
      { clock, keyring: testKeyring(database) },
    );
    const taken = JSON.stringify({ ...JSON.parse(account('globex')), host_mapping: 'help.example.test' });
    const error = await refusal(
      importPopulation(database, writeFiles({ 'accounts.jsonl': [taken] }), { clock, keyring: testKeyring(database) }),
    );
    expect(error.details?.problems).toEqual([
      { file: 'accounts.jsonl', line: 1, field: 'host_mapping', message: expect.stringContaining('already mapped to account acme') },
    ]);
    expect((await refusal(importPopulation(database, writeFiles({}), { clock, keyring: testKeyring(database) }))).message).toMatch(
      /neither accounts.jsonl nor users.jsonl/,
    );
  });
});
