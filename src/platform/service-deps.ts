import type { Config } from '../config/config.js';
import type { Db, DatabaseHandle } from '../db/database.js';
import type { Clock } from './clock.js';
import type { Keyring } from './crypto/keyring.js';
import type { JobQueue } from './jobs/jobs.js';

/** What services need from the process, passed explicitly rather than imported. */
export interface ServiceDeps {
  db: Db;
  handle: Pick<DatabaseHandle, 'capabilities' | 'sqlite'>;
  clock: Clock;
  keyring: Keyring;
  /** Background work; handlers are defined by `defineJobs` in main.ts. */
  jobs: JobQueue;
  config: Pick<Config, 'baseDomain' | 'bodyLimitBytes' | 'logLevel' | 'trustProxy' | 'port' | 'passwordRateLimit'>;
}
