import type { FastifyInstance } from 'fastify';
import { buildApp, buildWorkerApp } from './app.js';
import { loadConfig, type Config } from './config/config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { KEYED_AUDIT_MIGRATION, migrateToLatest } from './db/migrate.js';
import { definePasswordResetJobs } from './modules/auth/sessions/sign-in.jobs.js';
import { defineCampaignJobs } from './modules/incidents/campaigns.jobs.js';
import { defineExposedPasswordJobs } from './modules/auth/exposed-passwords/exposed-passwords.jobs.js';
import { defineRetentionJobs, scheduleRetention } from './modules/retention/retention.jobs.js';
import { defineCourierJobs, startCourierSweep } from './modules/courier/courier.jobs.js';
import { defineSecurityEventJobs, startSecurityEventsSweep } from './modules/security-events/security-events.jobs.js';
import { defineNoticeJobs } from './modules/notices/notices.jobs.js';
import { refuseSharedOutbox } from './modules/courier/mail-transport.js';
import { defineStaffAccessJobs } from './modules/staff-access/staff-access.jobs.js';
import { startHttpsServer } from './modules/certificates/https-server.js';
import { listenerTimeouts } from './platform/http/listener-timeouts.js';
import { startMetricsListener, type RunningMetricsListener } from './platform/http/metrics.js';
import { systemClock } from './platform/clock.js';
import { anchorUnkeyedChains } from './platform/audit/audit.service.js';
import { loadKeyring } from './platform/crypto/keyring.js';
import { setPasswordHashCost } from './modules/auth/passwords/password-hashing.js';
import { createJobQueue } from './platform/jobs/jobs.js';
import { SignInEventLog } from './platform/sign-in-events/sign-in-event-log.js';
import type { ServiceDeps } from './platform/service-deps.js';

/** Everything a CLI verb or the server needs, opened once. */
export interface Runtime extends ServiceDeps {
  config: Config;
  handle: DatabaseHandle;
  close(): Promise<void>;
}

export type ConfigFlags = Partial<Record<keyof Config, string | undefined>>;

/** Every module's job handlers, defined on the queue of `deps`. */
export function defineJobs(deps: ServiceDeps): void {
  definePasswordResetJobs(deps);
  defineExposedPasswordJobs(deps);
  defineCampaignJobs(deps);
  defineCourierJobs(deps);
  defineNoticeJobs(deps);
  defineStaffAccessJobs(deps);
  defineRetentionJobs(deps);
  defineSecurityEventJobs(deps);
}

/**
 * The composition root: configuration → database (migrated) → keyring →
 * job queue (defined, not started) → services.
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
    refuseSharedOutbox(config);
    setPasswordHashCost({ memoryCost: config.passwordHashMemoryKib, timeCost: config.passwordHashTimeCost });
    const applied = await migrateToLatest(handle.db);
    // The embedded default creates its key file (mode 0600) on first start.
    const keyring = loadKeyring({ keys: config.keys, dataDir: config.dataDir, clock });
    // Only in the run that adds key versions to the trail: later, a chain ending unkeyed is a rewrite, never anchored.
    if (applied.includes(KEYED_AUDIT_MIGRATION)) await anchorUnkeyedChains(handle.db, { clock, keyring });
    const jobs = createJobQueue(handle, { clock, concurrency: config.jobConcurrency });
    const signInEvents = new SignInEventLog(handle.db, clock, {
      onError: (error) =>
        process.stderr.write(
          `${JSON.stringify({ level: 'warn', msg: 'sign-in events not written yet; kept for the next flush', error: String(error) })}\n`,
        ),
    });
    const runtime: Runtime = {
      config,
      handle,
      db: handle.db,
      clock,
      keyring,
      jobs,
      signInEvents,
      close: async () => {
        // Pending sign-in events first, while the database is open: a clean shutdown loses none.
        await signInEvents.close();
        await jobs.stop();
        await handle.close();
      },
    };
    defineJobs(runtime);
    return runtime;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  httpsUrl: string;
  /** The /metrics listener's URL, when `RIPOSTE_METRICS_ADDRESS` is set. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

/** What a process does: `api` serves HTTP and HTTPS and runs no background jobs; `worker` runs them and serves health and metrics only; `all` both. */
export const PROCESS_ROLES = ['all', 'api', 'worker'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** Starts the job worker, the daily retention run and the outbox sweeps; returns their stop. */
async function startBackgroundWork(runtime: Runtime): Promise<() => void> {
  await runtime.jobs.start();
  // Retention runs daily; each run schedules the next, this starts the first.
  await scheduleRetention(runtime);
  const stopCourierSweep = await startCourierSweep(runtime);
  const stopSecurityEventsSweep = await startSecurityEventsSweep(runtime);
  return () => {
    stopCourierSweep();
    stopSecurityEventsSweep();
  };
}

/**
 * Builds the app over a runtime and listens on the configured port, and for
 * TLS on the HTTPS port, as its role says (README, "Process roles"): the
 * job worker runs in `all` and `worker` processes; a `worker` listens on the
 * HTTP port for health and metrics only.
 */
export async function startServer(runtime: Runtime, role: ProcessRole = 'all'): Promise<RunningServer> {
  const { config } = runtime;
  if (role === 'worker') {
    const app = await buildWorkerApp(runtime);
    const stopBackgroundWork = await startBackgroundWork(runtime);
    const address = await app.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
      stopBackgroundWork();
      throw error;
    });
    return {
      app,
      url: `http://${config.baseDomain}:${new URL(address).port}`,
      httpsUrl: '',
      metricsUrl: undefined,
      close: async () => {
        stopBackgroundWork();
        await app.close();
      },
    };
  }
  const app = await buildApp(runtime);
  const stopBackgroundWork = role === 'all' ? await startBackgroundWork(runtime) : () => undefined;
  const address = await app.listen({ port: config.port, host: config.host });
  const httpsServer = await startHttpsServer(runtime, app).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  let metrics: RunningMetricsListener | undefined;
  if (config.metricsAddress !== undefined) {
    metrics = await startMetricsListener(app.metricsRegistry, config.metricsAddress, listenerTimeouts(config)).catch(
      async (error: unknown) => {
        await httpsServer.close();
        await app.close();
        throw error;
      },
    );
  }
  const port = new URL(address).port;
  return {
    app,
    url: `http://${config.baseDomain}:${port}`,
    httpsUrl: `https://${config.baseDomain}:${httpsServer.port}`,
    metricsUrl: metrics?.url,
    close: async () => {
      stopBackgroundWork();
      await metrics?.close();
      await httpsServer.close();
      await app.close();
    },
  };
}
