import crypto from 'node:crypto';
import type { Config } from '../../../config/config.js';
import type { Queryable } from '../../../db/database.js';
import type { Account } from '../../../db/schema.js';
import { reserveIds } from '../../../db/sequences.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import { decryptSecretsConfidential, sealSecrets } from '../../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { findAccountById } from '../../accounts/accounts.repo.js';
import { enqueueMessages, type OutgoingMessage } from '../../courier/outbox.service.js';
import type { ExposedCredentialAlertData } from '../../courier/templates/index.js';
import type { Hashing } from '../passwords/password-gate.js';
import { verifyStoredPassword } from '../passwords/password-hashing.js';
import { exposedAlertJob, exposedAlertKey } from './exposed-alert.job.js';
import {
  flaggedCredentialsNotKept,
  hashesNotKeptYet,
  type FlaggedCredential,
  distinctUsersFromSource,
  EXPOSED_ATTEMPT_SEQUENCE,
  exposedHashPlace,
  findExposedFingerprint,
  findExposedHashes,
  insertExposedFingerprint,
  insertExposedAttempt,
  insertExposedHashes,
  operatorEmails,
  claimPendingAttempts,
  type PendingAttempt,
} from './exposed-passwords.repo.js';

/** The audit action (and, as `password.exposed_credential_attempt`, the public security event type) of an attempt. */
export const EXPOSED_ATTEMPT_ACTION = 'password.exposed_credential_attempt';
/** The sign-in event reason of an attempt. */
export const EXPOSED_PASSWORD_REASON = 'exposed_password';
/** `RIPOSTE_EXPOSED_ALERT_WINDOW_MINUTES`'s default. */
export const DEFAULT_EXPOSED_ALERT_WINDOW_MINUTES = 15;
/** The first attempt of a window is mailed this long after it (at most the window), so that a burst lands in one mail. */
export const EXPOSED_ALERT_GATHER_MS = 60_000;

type ConfigDeps = { config: Partial<Pick<Config, 'exposedAlertWindowMinutes'>> };
/** Without a job queue (unit tests of the password service), attempts are recorded and audited but no alert is queued. */
type WatchDeps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'log'> & Partial<Pick<ServiceDeps, 'jobs'>> & ConfigDeps;

export const alertWindowMs = (deps: ConfigDeps): number =>
  (deps.config.exposedAlertWindowMinutes ?? DEFAULT_EXPOSED_ALERT_WINDOW_MINUTES) * 60_000;

/**
 * Seals each credential's hash under its account into
 * `exposed_password_hashes`, kept for the incident that flagged it, in the
 * caller's transaction. The callers read only credentials whose hash is not
 * kept yet for that incident: sealing a place again would retire its key.
 */
async function keepExposedHashes(
  tx: Queryable,
  deps: Pick<ServiceDeps, 'keyring' | 'clock'>,
  credentials: readonly FlaggedCredential[],
): Promise<number> {
  if (credentials.length === 0) return 0;
  const sealed = await sealSecrets(
    tx,
    deps.keyring,
    deps.clock,
    credentials.map((credential) => ({ ...exposedHashPlace(credential), plaintext: credential.password_hash })),
  );
  const keptAt = deps.clock.now().toISOString();
  return insertExposedHashes(
    tx,
    credentials.map((credential, index) => ({
      account_id: credential.account_id,
      user_id: credential.user_id,
      incident_id: credential.incident_id,
      hash_sealed: sealed[index] ?? '',
      kept_at: keptAt,
    })),
  );
}

/**
 * In the transaction that replaces these credentials' hashes (a new password,
 * or a stronger hash of the same one): keeps the hash each held, sealed,
 * where an incident flagged it and its hash is not kept yet. A flagged user's
 * live hash is the exposed one until it is replaced, so a rotation batch
 * seals nothing, and only users who change their password pay one seal.
 */
export async function keepExposedHashesBeforeReplacing(
  tx: Queryable,
  deps: Pick<ServiceDeps, 'keyring' | 'clock'>,
  keys: ReadonlyArray<{ accountId: number; userId: number }>,
): Promise<number> {
  return keepExposedHashes(tx, deps, await flaggedCredentialsNotKept(tx, keys));
}

/**
 * In a campaign batch's transaction, before its credentials are flagged:
 * keeps the hash of `credentials`, those still flagged by another incident
 * whose flag the batch replaces (the user has not changed the password both
 * exposed), where that incident keeps none yet.
 */
export async function keepHashesOfCredentialsLeavingAnotherIncident(
  tx: Queryable,
  deps: Pick<ServiceDeps, 'keyring' | 'clock'>,
  credentials: readonly FlaggedCredential[],
): Promise<number> {
  if (credentials.length === 0) return 0;
  return keepExposedHashes(tx, deps, await hashesNotKeptYet(tx, credentials));
}

/**
 * After a wrong password for a known user: whether it is a password a
 * rotation flagged as exposed. Only users with an exposed hash on record pay
 * anything, and at most one extra verification (through `hashing`, the same
 * gate and budget as the live check): against the newest exposed hash that
 * differs from the live one (a user who has not changed it yet has none to
 * check). Returns the incident whose exposed password it is.
 */
export async function matchExposedPassword(
  deps: Pick<WatchDeps, 'db' | 'keyring' | 'log'>,
  input: { accountId: number; userId: number; liveHash: string; password: string; hashing: Hashing },
): Promise<number | undefined> {
  const rows = await findExposedHashes(deps.db, input.accountId, input.userId);
  if (rows.length === 0) return undefined;
  let hashes: string[];
  try {
    hashes = await decryptSecretsConfidential(
      deps.db,
      deps.keyring,
      rows.map((row) => ({ ...exposedHashPlace(row), sealed: row.hash_sealed })),
    );
  } catch (error) {
    // A watch that cannot open its hash watches nothing; the sign-in answers as it would anyway.
    deps.log?.warn(
      { event: 'exposed_password.unreadable', accountId: input.accountId, userId: input.userId, error: String(error) },
      'An exposed password hash could not be opened.',
    );
    return undefined;
  }
  const index = hashes.findIndex((hash) => hash !== input.liveHash);
  const exposed = hashes[index];
  const row = rows[index];
  if (exposed === undefined || row === undefined) return undefined;
  const verification = await input.hashing(() => verifyStoredPassword(exposed, input.password));
  return verification.ok ? Number(row.incident_id) : undefined;
}

/**
 * A password's keyed fingerprints in an account, one per key version the
 * keyring holds (the first is the current version's): HMAC-SHA256, so a
 * stolen table alone cannot test guesses.
 */
function passwordFingerprints(keyring: ServiceDeps['keyring'], accountId: number, password: string) {
  const versions = [keyring.currentVersion, ...keyring.versions.filter((v) => v !== keyring.currentVersion)];
  return versions.flatMap((version) => {
    const key = keyring.derivedKey('exposed-password', version);
    if (key === undefined) return [];
    const fingerprint = crypto.createHmac('sha256', key).update(`${accountId}\n${password}`).digest('base64url');
    return [{ key_version: version, fingerprint }];
  });
}

/** Whose exposed password a wrong password was, and of which incident. */
export interface ExposedPasswordMatch {
  incidentId: number;
  exposedUserId: number;
}

/**
 * After a wrong password for a known user: whether it is an exposed password,
 * the user's own (`matchExposedPassword`, one extra verification for flagged
 * users) or, stuffed, another user's of the account that an earlier attempt
 * proved exposed (its fingerprint: one HMAC and one indexed read, no hash).
 * A proven own exposed password leaves its fingerprint for the next time.
 */
export async function recogniseExposedPassword(
  deps: Pick<WatchDeps, 'db' | 'keyring' | 'log' | 'clock'>,
  input: { accountId: number; userId: number; liveHash: string; password: string; hashing: Hashing },
): Promise<ExposedPasswordMatch | undefined> {
  const fingerprints = passwordFingerprints(deps.keyring, input.accountId, input.password);
  const own = await matchExposedPassword(deps, input);
  if (own !== undefined) {
    const [current] = fingerprints;
    if (current !== undefined) {
      await insertExposedFingerprint(deps.db, {
        account_id: input.accountId,
        ...current,
        user_id: input.userId,
        incident_id: own,
        recorded_at: deps.clock.now().toISOString(),
      });
    }
    return { incidentId: own, exposedUserId: input.userId };
  }
  const known = await findExposedFingerprint(deps.db, input.accountId, fingerprints);
  if (known === undefined || known.user_id === input.userId) return undefined;
  return { incidentId: known.incident_id, exposedUserId: known.user_id };
}

export interface ExposedAttempt {
  accountId: number;
  userId: number;
  /** Whose exposed password was presented: `userId` itself, or another user of the account (stuffing). */
  exposedUserId: number;
  incidentId: number;
  channel: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Records an attempt with an exposed password, in one transaction: its row
 * (stuffing when it presented another user's exposed password, or the same
 * address presented the exposed passwords of two or more users of the
 * account within the alert window), the audit event
 * `password.exposed_credential_attempt` (a public security event; address and
 * user agent as personal data, erasable) and the alert job of its window
 * (one per account and window, `exposedAlertJob`). When this window's job
 * exists already (it may have sent), the next window's is queued too, so a
 * late attempt is still mailed, in the next window.
 */
export async function recordExposedAttempt(deps: WatchDeps, attempt: ExposedAttempt): Promise<{ stuffing: boolean }> {
  const now = deps.clock.now();
  const windowMs = alertWindowMs(deps);
  return deps.db.transaction().execute(async (tx) => {
    const users =
      attempt.ip === null
        ? 1
        : await distinctUsersFromSource(tx, {
            accountId: attempt.accountId,
            ip: attempt.ip,
            since: new Date(now.getTime() - windowMs).toISOString(),
            userId: attempt.userId,
          });
    const stuffing = attempt.exposedUserId !== attempt.userId || users >= 2;
    const id = await reserveIds(tx, EXPOSED_ATTEMPT_SEQUENCE, 1);
    await insertExposedAttempt(tx, {
      account_id: attempt.accountId,
      id,
      user_id: attempt.userId,
      incident_id: attempt.incidentId,
      channel: attempt.channel,
      ip: attempt.ip,
      user_agent: attempt.userAgent,
      stuffing: stuffing ? 1 : 0,
      exposed_user_id: attempt.exposedUserId,
      occurred_at: now.toISOString(),
      alerted_at: null,
    });
    await recordAudit(tx, deps, {
      accountId: attempt.accountId,
      actor: { type: 'system', id: 'exposed_password_watch' },
      action: EXPOSED_ATTEMPT_ACTION,
      target: { type: 'user', id: attempt.userId },
      data: {
        incident_id: attempt.incidentId,
        channel: attempt.channel,
        stuffing,
        source_users: users,
        ...(attempt.exposedUserId === attempt.userId ? {} : { exposed_user_id: attempt.exposedUserId }),
      },
      personal: { userId: attempt.userId, values: { ip: attempt.ip, user_agent: attempt.userAgent } },
    });
    if (deps.jobs !== undefined) await queueAlert(deps.jobs, tx, attempt.accountId, now, windowMs);
    return { stuffing };
  });
}

/** The alert job of the attempt's window; when it exists already (it may have sent), the next window's as well. */
async function queueAlert(jobs: ServiceDeps['jobs'], tx: Queryable, accountId: number, now: Date, windowMs: number): Promise<void> {
  const windowStartMs = Math.floor(now.getTime() / windowMs) * windowMs;
  const queued = await jobs.enqueue(
    exposedAlertJob,
    { accountId, windowStart: new Date(windowStartMs).toISOString() },
    {
      singletonKey: exposedAlertKey(accountId, windowStartMs),
      startAfter: new Date(now.getTime() + Math.min(EXPOSED_ALERT_GATHER_MS, windowMs)),
      transaction: tx,
    },
  );
  if (queued === null) {
    const nextMs = windowStartMs + windowMs;
    await jobs.enqueue(
      exposedAlertJob,
      { accountId, windowStart: new Date(nextMs).toISOString() },
      { singletonKey: exposedAlertKey(accountId, nextMs), startAfter: new Date(nextMs), transaction: tx },
    );
  }
}

/** The mail's summary of pending attempts: count, users, sources (with how many users each tried), channels, stuffing. */
export function summariseAttempts(
  account: Pick<Account, 'name' | 'subdomain'>,
  attempts: readonly PendingAttempt[],
): ExposedCredentialAlertData {
  const bySource = new Map<string, { attempts: number; users: Set<number> }>();
  for (const attempt of attempts) {
    const key = attempt.ip ?? '';
    const source = bySource.get(key) ?? { attempts: 0, users: new Set<number>() };
    source.attempts += 1;
    source.users.add(attempt.user_id);
    bySource.set(key, source);
  }
  const sources = [...bySource].map(([ip, source]) => ({ ip, attempts: source.attempts, users: source.users.size }));
  return {
    accountName: account.name,
    subdomain: account.subdomain,
    from: attempts[0]?.occurred_at ?? '',
    to: attempts.at(-1)?.occurred_at ?? '',
    attempts: attempts.length,
    users: [...new Set(attempts.map((a) => a.email ?? `user #${a.user_id}`))],
    sources,
    channels: [...new Set(attempts.map((a) => a.channel))].sort(),
    stuffing: attempts.some((a) => a.stuffing === 1) || sources.some((s) => s.ip !== '' && s.users >= 2),
    incidentIds: [...new Set(attempts.map((a) => a.incident_id))].sort((a, b) => a - b),
  };
}

/**
 * The alert job: one mail per recipient (the operators, and the account's
 * security contact or else its owner) summarising every attempt not yet
 * mailed, then marks them mailed; all in one transaction, and idempotent per
 * (window, recipient), so a retry sends nothing twice.
 */
export async function sendExposedCredentialAlert(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs'>,
  payload: { accountId: number; windowStart: string },
): Promise<number> {
  const account = await findAccountById(deps.db, payload.accountId);
  if (account === undefined) return 0;
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const attempts = await claimPendingAttempts(tx, account.id, now);
    if (attempts.length === 0) return 0;
    const data = summariseAttempts(account, attempts);
    const recipients = new Map<string, string>();
    for (const email of await operatorEmails(tx)) recipients.set(email, 'en');
    const contact = (account.security_contact_email ?? account.owner_email).toLowerCase();
    recipients.set(contact, account.locale);
    const messages: OutgoingMessage[] = [...recipients].map(([recipient, locale]) => ({
      accountId: account.id,
      purpose: 'exposed_credential_alert',
      recipient,
      locale,
      idempotencyKey: `exposed_credential_alert:${payload.windowStart}:${recipient}`,
      data: { ...data },
    }));
    return enqueueMessages(deps, tx, messages, 32_000);
  });
}
