import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config/config.js';
import { openDatabase, type Db, type DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { systemClock, type Clock } from './platform/clock.js';
import { loadKeyring, type Keyring } from './platform/crypto/keyring.js';

/** Everything a CLI verb or the server needs, opened once. */
export interface Runtime {
  config: Config;
  handle: DatabaseHandle;
  db: Db;
  clock: Clock;
  keyring: Keyring;
  close(): Promise<void>;
}

export type ConfigFlags = Partial<Record<keyof Config, string | undefined>>;

/**
 * The composition root: configuration → database (migrated) → services.
 *
 * @example
 * const runtime = await openRuntime({ dataDir: './data' });
 * try { ... } finally { await runtime.close(); }
 */
export async function openRuntime(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const config = loadConfig(env, flags);
  const clock = systemClock;
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(handle.db);
    // The embedded default creates its key file (mode 0600) on first start.
    const keyring = loadKeyring({ keys: config.keys, dataDir: config.dataDir, clock });
    return { config, handle, db: handle.db, clock, keyring, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** Builds the app over a runtime and listens on the configured port. */
export async function startServer(runtime: Runtime): Promise<RunningServer> {
  const { config } = runtime;
  const app = await buildApp({ config, db: runtime.db, clock: runtime.clock, keyring: runtime.keyring, handle: runtime.handle });
  const address = await app.listen({ port: config.port, host: config.host });
  const port = new URL(address).port;
  return {
    app,
    url: `http://${config.baseDomain}:${port}`,
    close: () => app.close(),
  };
}
