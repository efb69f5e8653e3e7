import type { Config } from '../config/config.js';
import type { Db, DatabaseHandle } from '../db/database.js';
import type { Clock } from './clock.js';
import type { Keyring } from './crypto/keyring.js';

/** What services need from the process, passed explicitly rather than imported. */
export interface ServiceDeps {
  db: Db;
  handle: Pick<DatabaseHandle, 'capabilities' | 'sqlite'>;
  clock: Clock;
  keyring: Keyring;
  config: Pick<Config, 'baseDomain' | 'bodyLimitBytes' | 'logLevel' | 'trustProxy' | 'port'>;
}
