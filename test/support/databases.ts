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

/** Creates an empty PostgreSQL database for one suite; returns its URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `riposte_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
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
  if (backend === 'postgres') {
    const created = await createPostgresDatabase();
    databaseUrl = created.url;
    drop = created.drop;
  }
  const handle = openDatabase({ databaseUrl, dataDir, poolSize: 4 });
  if (options.migrate !== false) await migrateToLatest(handle.db);
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
