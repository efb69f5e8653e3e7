import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PgBoss from 'pg-boss';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (process.env.CI === 'true')
      throw new Error(`PostgreSQL is required under CI=true and is unreachable at ${url}: ${String(error)}`, { cause: error });
    console.warn(`\n!! PostgreSQL unreachable at ${url}; PostgreSQL suites are skipped (they fail under CI=true).\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A migrated SQLite database file to copy; returns its path and the directory to remove. */
async function sqliteTemplate(): Promise<{ file: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-template-'));
  const handle = openDatabase({ databaseUrl: undefined, dataDir: dir });
  await migrateToLatest(handle.db);
  await handle.flushDeletedData(); // everything in the main file, so one copy is the whole database
  await handle.close();
  return { file: path.join(dir, 'riposte.sqlite'), dir };
}

/** A migrated PostgreSQL database that suites copy with `create database … template`. */
async function postgresTemplate(adminUrl: string): Promise<string> {
  const name = `riposte_template_${process.pid}_${Date.now()}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = openDatabase({ databaseUrl: url.toString(), dataDir: os.tmpdir(), poolSize: 1 });
  await migrateToLatest(handle.db);
  await handle.close();
  // pg-boss installs its schema on first start: once here rather than in every suite that starts a queue.
  const boss = new PgBoss({ connectionString: url.toString(), schema: 'pgboss', supervise: false, schedule: false, max: 1 });
  await boss.start();
  await boss.stop({ graceful: false, wait: true });
  return name;
}

/**
 * Checks PostgreSQL once for the whole run (under CI=true an unreachable
 * PostgreSQL fails the run; elsewhere its suites are skipped with a warning),
 * and migrates one template database per backend, which each suite's
 * database copies instead of migrating anew. Returns the teardown.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const url = process.env.RIPOSTE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  process.env.RIPOSTE_TEST_DATABASE_URL = url;
  const postgres = await postgresReachable(url);
  process.env.RIPOSTE_TEST_POSTGRES = postgres ? 'available' : 'unavailable';
  const sqlite = await sqliteTemplate();
  process.env.RIPOSTE_TEST_SQLITE_TEMPLATE = sqlite.file;
  const postgresName = postgres ? await postgresTemplate(url) : undefined;
  if (postgresName !== undefined) process.env.RIPOSTE_TEST_POSTGRES_TEMPLATE = postgresName;
  return async () => {
    fs.rmSync(sqlite.dir, { recursive: true, force: true });
    if (postgresName !== undefined) await adminQuery(url, `drop database if exists ${postgresName} with (force)`);
  };
}
