import type { Db } from '../db/database.js';
import type { Clock } from '../platform/clock.js';
import type { Keyring } from '../platform/crypto/keyring.js';

/** What the incident verbs need from the process (`main.ts`'s `Runtime` fits); tests hand in their own. */
export interface IncidentRuntime {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  close(): Promise<void>;
}

/** Opens the runtime for a verb's `--data-dir` (DATABASE_URL wins). */
export type OpenIncidentRuntime = (flags: { dataDir?: string }) => Promise<IncidentRuntime>;
