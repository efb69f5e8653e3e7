import type { Config } from '../config/config.js';
import type { VendorConfig } from '../config/vendor.js';
import type { Db, DatabaseHandle } from '../db/database.js';
import type { Clock } from './clock.js';
import type { Keyring } from './crypto/keyring.js';
import type { JobQueue } from './jobs/jobs.js';
import type { SignInEventLog } from './sign-in-events/sign-in-event-log.js';

/**
 * What the courier reads: where mail goes, how fast, and the base of its
 * links; and who signs it and takes the replies (absent vendor settings take
 * their documented defaults: `vendorIdentity`).
 */
export type CourierConfig = Pick<
  Config,
  'dataDir' | 'publicUrl' | 'smtpUrl' | 'smtpRequireTls' | 'smtpPoolSize' | 'mailFrom' | 'mailRate'
> &
  Partial<VendorConfig>;

/** Retention periods and batch size; absent ones take their documented defaults (modules/retention). */
export type RetentionConfig = Pick<
  Config,
  | 'retentionAuditEventsDays'
  | 'retentionSessionsDays'
  | 'retentionLoginAttemptsDays'
  | 'retentionMessageBodiesDays'
  | 'retentionLegacyHashesDays'
  | 'retentionFinishedJobsDays'
  | 'retentionSignInEventsDays'
  | 'retentionSignInAddressesDays'
  | 'retentionSecurityEventsDays'
  | 'retentionBatchSize'
>;

/** Where security events go besides webhooks, and whether webhook endpoints may be private (README, "Security events out"). */
export type SecurityEventsConfig = Pick<
  Config,
  'siemFile' | 'siemFileMaxBytes' | 'siemFileKeep' | 'siemSyslogUrl' | 'webhooksAllowPrivate'
>;

/** pino's `logger.warn(details, message)` shape, for what operators must see (security alerts). */
export interface WarnLog {
  warn(details: object, message: string): void;
}

/** What services need from the process, passed explicitly rather than imported. */
export interface ServiceDeps {
  db: Db;
  handle: Pick<DatabaseHandle, 'capabilities' | 'sqlite' | 'flushDeletedData'>;
  clock: Clock;
  keyring: Keyring;
  /** Background work; handlers are defined by `defineJobs` in main.ts. */
  jobs: JobQueue;
  /** Every authentication attempt, written off the request path (`SignInEventLog`). */
  signInEvents: SignInEventLog;
  config: Pick<Config, 'baseDomain' | 'bodyLimitBytes' | 'logLevel' | 'trustProxy' | 'port' | 'passwordRateLimit'> &
    Partial<Pick<Config, 'passwordHashConcurrency' | 'passwordRefusalDelayMs' | 'opsHost' | 'exposedAlertWindowMinutes'>> &
    Partial<
      Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'idleTimeoutMs' | 'metricsToken' | 'metricsAddress'>
    > &
    CourierConfig &
    Partial<RetentionConfig> &
    Partial<SecurityEventsConfig>;
  /** The app's logger (set by `buildApp`); absent, alerts go to stderr as JSON lines. */
  log?: WarnLog;
}
