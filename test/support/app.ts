import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app.js';
import { FixedClock } from '../../src/platform/clock.js';
import { loadKeyring } from '../../src/platform/crypto/keyring.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';
import type { TestDatabase } from './databases.js';

export const testConfig = {
  baseDomain: 'localhost',
  bodyLimitBytes: 1024 * 1024,
  logLevel: 'silent' as const,
  trustProxy: false,
  port: 3000,
};

/** The services of a test database: a fixed clock and a key file in its data directory. */
export function testDeps(database: TestDatabase, clock = new FixedClock('2026-06-01T12:00:00.000Z')): ServiceDeps & { clock: FixedClock } {
  return {
    db: database.db,
    handle: database,
    clock,
    keyring: loadKeyring({ keys: undefined, dataDir: database.dataDir, clock }),
    config: testConfig,
  };
}

/** The real application over a test database. */
export async function buildTestApp(deps: ServiceDeps, extra: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  return buildApp({ ...deps, ...extra, config: { ...deps.config, ...extra.config } });
}
