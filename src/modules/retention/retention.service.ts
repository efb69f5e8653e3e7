import type { Db, Queryable } from '../../db/database.js';
import { countEndedRateLimitWindows, deleteEndedRateLimitWindows } from '../../platform/http/shared-rate-limits.js';
import { countAuditEventsBefore, purgeAuditEventsBefore } from '../../platform/audit/audit-retention.js';
import { PLATFORM_ACCOUNT_ID, recordAudit } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { cutoffOf, RETENTION_KINDS, retentionPolicyOf, type RetentionKind, type RetentionPolicy } from './retention.policy.js';
import { countSupersededLegacyHashes, deleteSupersededLegacyHashes } from '../auth/passwords/passwords.repo.js';
import { countEndedSessions, deleteEndedSessions } from '../auth/sessions/sessions.repo.js';
import { countIdleLoginThrottles, deleteIdleLoginThrottles } from '../auth/throttle/login-throttle.repo.js';
import { countMessageBodies, dropMessageBodies } from '../courier/outbox.repo.js';
import { countEndedStaffSessions, deleteEndedStaffSessions } from '../staff/staff.repo.js';
import { countFinishedJobs, deleteFinishedJobs } from '../../platform/jobs/local-jobs.repo.js';
import {
  countSignInAddressesBefore,
  countSignInEventsBefore,
  deleteSignInEventsBefore,
  truncateSignInAddressesBefore,
} from '../../platform/sign-in-events/sign-in-events.repo.js';
import { countExposedAttemptsBefore, deleteExposedAttemptsBefore } from '../auth/exposed-passwords/exposed-passwords.repo.js';
import { countSettledSecurityEventsBefore, deleteSettledSecurityEventsBefore } from '../security-events/webhooks.repo.js';

export interface RetentionReport {
  dry_run: boolean;
  ran_at: string;
  /** Per kind: its period, the instant before which data goes, and how many rows went (or would go). */
  kinds: Record<RetentionKind, { days: number; before: string; removed: number }>;
}

/**
 * One batch of removal, owned by the module whose rows it removes: at most
 * `limit` rows in one set-based statement, returning how many it handled, so
 * that a caller loops in short transactions until a batch comes back short.
 */
type Batch = (db: Queryable, cutoff: string, limit: number) => Promise<number>;

/** Runs one batch after another, each in its own short transaction, until one comes back short. */
async function inBatches(db: Db, batch: Batch, cutoff: string, limit: number): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await db.transaction().execute((tx) => batch(tx, cutoff, limit));
    total += done;
    if (done < limit) return total;
  }
}

/**
 * Applies the retention policy: removes every row past its kind's period
 * and nothing else (see README, "Retention"). With `dryRun` it only counts.
 * Safe to run at any time and any number of times at once: each batch is
 * idempotent, and an interrupted run is finished by the next.
 *
 * @example
 * const report = await runRetention(deps, { dryRun: true });
 * report.kinds.sessions.removed; // sessions that ended more than 30 days ago
 */
export async function runRetention(
  deps: ServiceDeps,
  options: { dryRun?: boolean; policy?: RetentionPolicy } = {},
): Promise<RetentionReport> {
  const policy = options.policy ?? retentionPolicyOf(deps.config);
  const dryRun = options.dryRun === true;
  const now = deps.clock.now();
  const nowText = now.toISOString();
  const limit = policy.batchSize;
  const cutoffs = Object.fromEntries(RETENTION_KINDS.map((kind) => [kind, cutoffOf(now, policy.days[kind])])) as Record<
    RetentionKind,
    string
  >;
  const { db } = deps;

  const apply: Record<RetentionKind, () => Promise<number>> = {
    sessions: async () =>
      (await inBatches(db, deleteEndedSessions, cutoffs.sessions, limit)) +
      (await inBatches(db, deleteEndedStaffSessions, cutoffs.sessions, limit)),
    login_attempts: async () =>
      (await inBatches(db, (tx, cutoff, n) => deleteIdleLoginThrottles(tx, cutoff, nowText, n), cutoffs.login_attempts, limit)) +
      (await inBatches(db, (tx, cutoff, n) => deleteEndedRateLimitWindows(tx, Date.parse(cutoff), n), cutoffs.login_attempts, limit)),
    message_bodies: () => inBatches(db, dropMessageBodies, cutoffs.message_bodies, limit),
    legacy_password_hashes: () => inBatches(db, deleteSupersededLegacyHashes, cutoffs.legacy_password_hashes, limit),
    finished_jobs: () => inBatches(db, deleteFinishedJobs, cutoffs.finished_jobs, limit),
    sign_in_events: async () =>
      (await inBatches(db, deleteSignInEventsBefore, cutoffs.sign_in_events, limit)) +
      (await inBatches(db, deleteExposedAttemptsBefore, cutoffs.sign_in_events, limit)),
    sign_in_addresses: () => inBatches(db, truncateSignInAddressesBefore, cutoffs.sign_in_addresses, limit),
    security_events: () => inBatches(db, deleteSettledSecurityEventsBefore, cutoffs.security_events, limit),
    audit_events: () => purgeAuditEventsBefore(db, deps, cutoffs.audit_events, limit),
  };
  const count: Record<RetentionKind, () => Promise<number>> = {
    sessions: async () => (await countEndedSessions(db, cutoffs.sessions)) + (await countEndedStaffSessions(db, cutoffs.sessions)),
    login_attempts: async () =>
      (await countIdleLoginThrottles(db, cutoffs.login_attempts, nowText)) +
      (await countEndedRateLimitWindows(db, Date.parse(cutoffs.login_attempts))),
    message_bodies: () => countMessageBodies(db, cutoffs.message_bodies),
    legacy_password_hashes: () => countSupersededLegacyHashes(db, cutoffs.legacy_password_hashes),
    finished_jobs: () => countFinishedJobs(db, cutoffs.finished_jobs),
    sign_in_events: async () =>
      (await countSignInEventsBefore(db, cutoffs.sign_in_events)) + (await countExposedAttemptsBefore(db, cutoffs.sign_in_events)),
    sign_in_addresses: () => countSignInAddressesBefore(db, cutoffs.sign_in_addresses, cutoffs.sign_in_events),
    security_events: () => countSettledSecurityEventsBefore(db, cutoffs.security_events),
    audit_events: () => countAuditEventsBefore(db, cutoffs.audit_events),
  };

  const kinds = {} as RetentionReport['kinds'];
  for (const kind of RETENTION_KINDS) {
    const removed = await (dryRun ? count[kind]() : apply[kind]());
    kinds[kind] = { days: policy.days[kind], before: cutoffs[kind], removed };
  }
  const total = Object.values(kinds).reduce((sum, kind) => sum + kind.removed, 0);
  if (!dryRun && total > 0) {
    await recordAudit(db, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: { type: 'system' },
      action: 'retention.applied',
      data: Object.fromEntries(RETENTION_KINDS.map((kind) => [kind, kinds[kind].removed])),
    });
  }
  return { dry_run: dryRun, ran_at: nowText, kinds };
}
