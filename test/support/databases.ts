import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export type Backend = 'sqlite' | 'postgres';

export const postgresAvailable = (): boolean => process.env.RIPOSTE_TEST_POSTGRES === 'available';
export const adminUrl = (): string => process.env.RIPOSTE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Backends a conformance suite runs on: both, unless PostgreSQL is absent outside CI. */
export const backends: Backend[] = postgresAvailable() ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase extends DatabaseHandle {
  backend: Backend;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Run first by `dispose` (job queues stop before their database goes). */
  beforeDispose: Array<() => Promise<void>>;
  /** Closes the handle and drops the database or removes the directory. */
  dispose(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Waits until no session is connected to `databaseUrl`'s database. pg-pool's
 * `end()` resolves before its clients have said goodbye; dropping the database
 * `WITH (FORCE)` right after would kill them mid-goodbye.
 */
export async function waitUntilDisconnected(databaseUrl: string, deadlineMs = 5000): Promise<void> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      const { rows } = await admin.query<{ sessions: number }>(
        'select count(*)::int as sessions from pg_stat_activity where datname = $1',
        [database],
      );
      if (rows[0]?.sessions === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await admin.end();
  }
}

/** Where the global setup left the migrated template databases (see `global-setup.ts`). */
const templates = () => ({
  postgres: process.env.RIPOSTE_TEST_POSTGRES_TEMPLATE,
  sqlite: process.env.RIPOSTE_TEST_SQLITE_TEMPLATE,
});

/**
 * Creates a PostgreSQL database for one suite, empty or a copy of `template`
 * (a migrated database nobody is connected to); returns its URL.
 */
export async function createPostgresDatabase(template?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `riposte_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(template === undefined ? `create database ${name}` : `create database ${name} template ${template}`);
  await admin.end();
  return {
    url: withDatabase(adminUrl(), name),
    drop: async () => {
      await waitUntilDisconnected(withDatabase(adminUrl(), name));
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A fresh, migrated database on the given backend, with its own data directory. */
export async function openTestDatabase(backend: Backend, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-test-'));
  let databaseUrl: string | undefined;
  let drop = (): Promise<void> => Promise.resolve();
  // A copy of the migrated template is much cheaper than migrating anew (the global setup made it).
  const template = options.migrate === false ? undefined : templates()[backend];
  if (backend === 'postgres') {
    const created = await createPostgresDatabase(template);
    databaseUrl = created.url;
    drop = created.drop;
  } else if (template !== undefined) {
    fs.copyFileSync(template, path.join(dataDir, 'riposte.sqlite'));
    fs.chmodSync(path.join(dataDir, 'riposte.sqlite'), 0o600);
  }
  const handle = openDatabase({ databaseUrl, dataDir, poolSize: 4 });
  if (options.migrate !== false && template === undefined) await migrateToLatest(handle.db);
  const beforeDispose: Array<() => Promise<void>> = [];
  return {
    ...handle,
    backend,
    dataDir,
    databaseUrl,
    beforeDispose,
    dispose: async () => {
      for (const step of beforeDispose) await step();
      await handle.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
