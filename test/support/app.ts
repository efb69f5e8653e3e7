import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app.js';
import { FixedClock, type Clock } from '../../src/platform/clock.js';
import { loadKeyring, type Keyring } from '../../src/platform/crypto/keyring.js';
import { createJobQueue } from '../../src/platform/jobs/jobs.js';
import { defineJobs } from '../../src/main.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';
import { SignInEventLog } from '../../src/platform/sign-in-events/sign-in-event-log.js';
import type { TestDatabase } from './databases.js';

export const testConfig = {
  baseDomain: 'localhost',
  bodyLimitBytes: 1024 * 1024,
  passwordRateLimit: 300,
  // Refusals past the password budget answer at once: tests never wait on the flood pause.
  passwordRefusalDelayMs: 0,
  logLevel: 'silent' as const,
  trustProxy: false as const,
  port: 3000,
  // The courier: the embedded .eml default (under the test database's data directory, set by testDeps), no throttle.
  publicUrl: 'http://localhost:3000',
  smtpUrl: undefined,
  smtpRequireTls: false,
  smtpPoolSize: 2,
  mailFrom: 'Riposte <no-reply@riposte.test>',
  mailRate: 0,
};

/** The keyring of a test database's data directory: the same keys `testDeps` loads. */
export const testKeyring = (database: TestDatabase): Keyring =>
  loadKeyring({ keys: undefined, dataDir: database.dataDir, clock: new FixedClock('2026-06-01T12:00:00.000Z') });

/** What audit events need from a test database: its keyring and a clock. */
export const testAuditWriter = (
  database: TestDatabase,
  clock: Clock = new FixedClock('2026-06-01T12:00:00.000Z'),
): { clock: Clock; keyring: Keyring } => ({
  clock,
  keyring: testKeyring(database),
});

/**
 * The services of a test database: a fixed clock, a key file in its data
 * directory, and a job queue with every handler defined but not started
 * (call `deps.jobs.start()`, then `drain()` to await the work; the
 * database's `dispose` stops it).
 */
export function testDeps(database: TestDatabase, clock = new FixedClock('2026-06-01T12:00:00.000Z')): ServiceDeps & { clock: FixedClock } {
  const jobs = createJobQueue(database, { clock, pollIntervalMs: 50, pgBoss: { maintenanceIntervalSeconds: 1 } });
  const deps = {
    db: database.db,
    handle: database,
    clock,
    keyring: loadKeyring({ keys: undefined, dataDir: database.dataDir, clock }),
    jobs,
    signInEvents: new SignInEventLog(database.db, clock),
    config: { ...testConfig, dataDir: database.dataDir },
  };
  defineJobs(deps);
  database.beforeDispose.push(
    () => jobs.stop(),
    () => deps.signInEvents.close(),
  );
  return deps;
}

/** The real application over a test database. */
export async function buildTestApp(deps: ServiceDeps, extra: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  return buildApp({ ...deps, ...extra, config: { ...deps.config, ...extra.config } });
}
