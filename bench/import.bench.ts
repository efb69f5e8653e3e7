/**
 * Import benchmark: `npm run bench:import [-- --users N]` (default 1,000,000).
 *
 * 1. Generates N users and N/100 accounts as JSON Lines in a temporary
 *    directory, with the demo generator (hashes well-formed, not computed).
 * 2. Imports them into a fresh SQLite data directory with the real import
 *    service: one read of users.jsonl, each line checked and written in one
 *    transaction, then the commit with its audit events and the planner
 *    statistics.
 * 3. Baseline, same run: the same rows inserted into another fresh SQLite
 *    database with the same schema (the migrations) by raw better-sqlite3
 *    prepared statements, one row per call, 50,000 rows per transaction:
 *    the usual way to load SQLite fast by hand. Rows are built in memory
 *    before the clock starts, so the baseline times the inserts alone.
 *
 * Prints rows a second for both (rows = accounts + users + password
 * credentials) and their ratio.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { systemClock } from '../src/platform/clock.js';
import { loadKeyring } from '../src/platform/crypto/keyring.js';
import { productsToMask } from '../src/platform/products.js';
import {
  normaliseAccountLine,
  normaliseUserLine,
  type ImportedAccount,
  type ImportedUser,
} from '../src/modules/population/import-lines.parser.js';
import { importPopulation } from '../src/modules/population/import.service.js';
import { readJsonLines } from '../src/platform/json-lines/json-lines.js';
import { numericArgument, writePopulationFiles } from './bench-population.js';

const users = numericArgument('users', 1_000_000);
const accounts = numericArgument('accounts', Math.max(6, Math.round(users / 100)));
const seconds = (from: number): number => (performance.now() - from) / 1000;
const rate = (rows: number, s: number): string => `${Math.round(rows / s).toLocaleString('en-US')} rows/s`;
const count = (n: number): string => n.toLocaleString('en-US');

async function readRecords<T>(file: string, normalise: (value: unknown) => { ok: true; record: T } | { ok: false }): Promise<T[]> {
  const records: T[] = [];
  for await (const entry of readJsonLines(file)) {
    const result = entry.ok ? normalise(entry.value) : undefined;
    if (result === undefined || !result.ok) throw new Error(`invalid line ${entry.line} in ${file}`);
    records.push(result.record);
  }
  return records;
}

/** The rows the import writes, as value arrays, ids assigned in file order. */
async function baselineRows(dir: string): Promise<{ accounts: unknown[][]; users: unknown[][]; credentials: unknown[][] }> {
  const now = new Date().toISOString();
  const accountRecords = await readRecords<ImportedAccount>(path.join(dir, 'accounts.jsonl'), normaliseAccountLine);
  const accountIds = new Map(accountRecords.map((a, index) => [a.subdomain, index + 1]));
  const accountRows = accountRecords.map((a, index) => [
    index + 1,
    a.subdomain,
    a.name,
    a.status,
    a.activated_at,
    a.host_mapping,
    a.owner_email,
    a.security_contact_email,
    a.locale,
    productsToMask(a.products),
    1,
    a.created_at ?? a.activated_at ?? now,
    now,
  ]);
  const userRows: unknown[][] = [];
  const credentialRows: unknown[][] = [];
  (await readRecords<ImportedUser>(path.join(dir, 'users.jsonl'), normaliseUserLine)).forEach((u, index) => {
    const accountId = accountIds.get(u.account);
    userRows.push([
      accountId,
      index + 1,
      u.realm,
      u.role,
      u.name,
      u.email,
      u.phone,
      u.locale,
      u.active ? 1 : 0,
      u.sso ? 1 : 0,
      productsToMask(u.products),
      u.created_at,
      now,
      null,
      null,
    ]);
    if (u.password_hash !== null) credentialRows.push([accountId, index + 1, u.password_hash, u.password_changed_at, 0, null, null]);
  });
  return { accounts: accountRows, users: userRows, credentials: credentialRows };
}

async function runBaseline(dataDir: string, rows: Awaited<ReturnType<typeof baselineRows>>): Promise<number> {
  const handle = openDatabase({ databaseUrl: undefined, dataDir });
  await migrateToLatest(handle.db);
  const sqlite = handle.sqlite;
  if (sqlite === undefined) throw new Error('the baseline needs SQLite');
  const statements = {
    accounts: sqlite.prepare(
      'insert into accounts (id, subdomain, name, status, activated_at, host_mapping, owner_email, security_contact_email, locale, products_mask, password_api_access, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    users: sqlite.prepare(
      'insert into users (account_id, id, realm, role, name, email, phone, locale, active, sso, products_mask, created_at, updated_at, last_login_at, external_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    credentials: sqlite.prepare(
      'insert into password_credentials (account_id, user_id, password_hash, password_changed_at, must_change, must_change_reason, must_change_incident_id) values (?, ?, ?, ?, ?, ?, ?)',
    ),
  };
  const batch = sqlite.transaction((statement: (typeof statements)['users'], slice: unknown[][]) => {
    for (const row of slice) statement.run(row);
  });
  const started = performance.now();
  for (const [table, list] of [
    ['accounts', rows.accounts],
    ['users', rows.users],
    ['credentials', rows.credentials],
  ] as const) {
    for (let start = 0; start < list.length; start += 50_000) batch(statements[table], list.slice(start, start + 50_000));
  }
  const elapsed = seconds(started);
  await handle.close();
  return elapsed;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-bench-import-'));
  const filesDir = path.join(root, 'files');
  fs.mkdirSync(filesDir);
  try {
    process.stdout.write(
      `import bench: ${count(users)} users, ${count(accounts)} accounts, SQLite, ${os.cpus().length} CPU(s), Node ${process.version}\n`,
    );
    let started = performance.now();
    await writePopulationFiles(filesDir, accounts, users);
    const megabytes = (fs.statSync(path.join(filesDir, 'users.jsonl')).size / 1e6).toFixed(0);
    process.stdout.write(`  generated JSON Lines (${megabytes} MB of users) in ${seconds(started).toFixed(1)} s (not measured)\n`);

    const handle = openDatabase({ databaseUrl: undefined, dataDir: path.join(root, 'import') });
    await migrateToLatest(handle.db);
    // When every users.jsonl line is checked and written; after it: the commit, audit events and planner statistics.
    let usersWritten = 0;
    started = performance.now();
    const summary = await importPopulation(handle, filesDir, {
      clock: systemClock,
      keyring: loadKeyring({ keys: undefined, dataDir: path.join(root, 'import') }),
      onProgress: (p) => {
        if (p.phase === 'importing' && p.done === p.total) usersWritten = performance.now();
      },
    });
    const importSeconds = seconds(started);
    const usersSeconds = (usersWritten - started) / 1000;
    await handle.close();
    const importedRows = summary.accounts.created + summary.users.created + summary.passwords.created;

    const rows = await baselineRows(filesDir);
    const baselineCount = rows.accounts.length + rows.users.length + rows.credentials.length;
    if (baselineCount !== importedRows) throw new Error(`row counts differ: import ${importedRows}, baseline ${baselineCount}`);
    const baselineSeconds = await runBaseline(path.join(root, 'baseline'), rows);

    process.stdout.write(
      [
        `  rows: ${count(summary.accounts.created)} accounts + ${count(summary.users.created)} users + ${count(summary.passwords.created)} password credentials = ${count(importedRows)}`,
        `  riposte import (read, checked and written ${usersSeconds.toFixed(1)} s + commit, audit and planner statistics ${(importSeconds - usersSeconds).toFixed(1)} s): ${importSeconds.toFixed(1)} s, ${rate(importedRows, importSeconds)}, ${summary.transactions} transaction(s), ${count(summary.auditEvents)} audit events`,
        `  raw better-sqlite3 prepared inserts: ${baselineSeconds.toFixed(1)} s, ${rate(importedRows, baselineSeconds)}`,
        `  ratio import / raw: ${(baselineSeconds / importSeconds).toFixed(2)} (whole import)`,
      ].join('\n') + '\n',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
