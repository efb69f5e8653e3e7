import type { Config } from '../config/config.js';
import type { Db, DatabaseHandle } from '../db/database.js';
import type { Clock } from './clock.js';
import type { Keyring } from './crypto/keyring.js';
import type { JobQueue } from './jobs/jobs.js';

/** What the courier reads: where mail goes, how fast, and the base of its links. */
export type CourierConfig = Pick<Config, 'dataDir' | 'publicUrl' | 'smtpUrl' | 'smtpRequireTls' | 'smtpPoolSize' | 'mailFrom' | 'mailRate'>;

/** Retention periods and batch size; absent ones take their documented defaults (modules/retention). */
export type RetentionConfig = Pick<
  Config,
  | 'retentionAuditEventsDays'
  | 'retentionSessionsDays'
  | 'retentionLoginAttemptsDays'
  | 'retentionMessageBodiesDays'
  | 'retentionLegacyHashesDays'
  | 'retentionFinishedJobsDays'
  | 'retentionBatchSize'
>;

/** pino's `logger.warn(details, message)` shape, for what operators must see (security alerts). */
export interface WarnLog {
  warn(details: object, message: string): void;
}

/** What services need from the process, passed explicitly rather than imported. */
export interface ServiceDeps {
  db: Db;
  handle: Pick<DatabaseHandle, 'capabilities' | 'sqlite'>;
  clock: Clock;
  keyring: Keyring;
  /** Background work; handlers are defined by `defineJobs` in main.ts. */
  jobs: JobQueue;
  config: Pick<Config, 'baseDomain' | 'bodyLimitBytes' | 'logLevel' | 'trustProxy' | 'port' | 'passwordRateLimit'> &
    Partial<Pick<Config, 'passwordHashConcurrency' | 'passwordRefusalDelayMs' | 'opsHost'>> &
    Partial<
      Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'idleTimeoutMs' | 'metricsToken' | 'metricsAddress'>
    > &
    CourierConfig &
    Partial<RetentionConfig>;
  /** The app's logger (set by `buildApp`); absent, alerts go to stderr as JSON lines. */
  log?: WarnLog;
}
