import net from 'node:net';
import type { Queryable } from '../../../db/database.js';
import type { Clock } from '../../../platform/clock.js';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { WarnLog } from '../../../platform/service-deps.js';
import { countFailures, deleteDecayedThrottles, deleteThrottle, findActiveLocks, type LockSchedule } from './login-throttle.repo.js';
import { countSustainedFailures, type AlertKind, type AlertTarget } from './sustained-failures.js';

/**
 * Password guessing is slowed in the database, so that every process shares
 * the counts, by four counters per failure:
 *
 * - `pair`: one email from one client address. Locks: a few free failures,
 *   then each one locks the pair for twice as long as the one before (2 s,
 *   4 s, ... up to 15 minutes). Guessing at a user from one address stops
 *   here, and it locks nobody else: the same user from another address is
 *   not affected.
 * - `ip`: one client address, across emails. Locks that address alike, with
 *   more free failures (a whole office may sign in from one NAT address).
 * - `email`: one email from every address, and `account`: every failure on
 *   the account. These never lock, so no one can keep a user (or a staff
 *   member) out by failing on purpose; they count over a fixed window and
 *   raise an alert, once per window, when the count is high
 *   (`sustained-failures.ts`).
 *
 * A lock counter decays: an hour without failures and it starts again from
 * zero. Nothing is ever locked for longer than `maxLockSeconds`. Counters
 * are not audited one by one: every guess would otherwise write to the
 * account's audit chain, which an attacker could flood.
 */
export const LOGIN_THROTTLE_POLICY = Object.freeze({
  /** Failures before the first lock, per locking counter. */
  freeFailures: Object.freeze({ pair: 5, ip: 20 }),
  maxLockSeconds: 15 * 60,
  decaySeconds: 60 * 60,
});

export type LockKind = keyof typeof LOGIN_THROTTLE_POLICY.freeFailures;
export type ThrottleSubjectKind = LockKind | AlertKind;

/** What a counter is about: `pair:203.0.113.7|ana@acme.test`, `ip:203.0.113.7`, `email:ana@acme.test` or `account`. */
export interface ThrottleSubject {
  kind: ThrottleSubjectKind;
  key: string;
  /** The (lower-cased) email of `pair` and `email` counters. */
  email: string | null;
}

export type LoginThrottleState = { locked: false } | { locked: true; retryAfterSeconds: number };

/** What the throttle needs: a database handle or a transaction, the clock, and where alerts are logged. */
export interface ThrottleDeps {
  db: Queryable;
  clock: Clock;
  keyring: Keyring;
  log?: WarnLog;
}

const LOCK_KINDS: ReadonlySet<ThrottleSubjectKind> = new Set(Object.keys(LOGIN_THROTTLE_POLICY.freeFailures) as LockKind[]);
const isLockKind = (kind: ThrottleSubjectKind): kind is LockKind => LOCK_KINDS.has(kind);

/** The address of a pair whose client address is unknown (a call without one, never an HTTP request). */
const UNKNOWN_ADDRESS = 'unknown';

/**
 * How long a subject with `failures` failures in a row stays locked:
 * 0 while free, then 2^(failures − free) seconds, capped.
 *
 * @example
 * lockSeconds('pair', 5); // 0
 * lockSeconds('pair', 6); // 2
 * lockSeconds('pair', 40); // 900
 */
export function lockSeconds(kind: LockKind, failures: number): number {
  const beyond = failures - LOGIN_THROTTLE_POLICY.freeFailures[kind];
  if (beyond <= 0) return 0;
  return Math.min(2 ** beyond, LOGIN_THROTTLE_POLICY.maxLockSeconds);
}

function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const split = (part: string | undefined): string[] => (part === undefined || part === '' ? [] : part.split(':'));
  const width = (groups: string[]): number => groups.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const headGroups = split(head);
  const tailGroups = split(tail);
  const missing = tail === undefined ? 0 : 8 - width(headGroups) - width(tailGroups);
  return [...headGroups, ...Array.from({ length: missing }, () => '0'), ...tailGroups];
}

/**
 * The address a counter is kept for: IPv4 as is (also when IPv4-mapped),
 * IPv6 by its /64 network, since one host usually holds a whole /64.
 *
 * @example
 * throttleAddress('::ffff:203.0.113.7'); // '203.0.113.7'
 * throttleAddress('2001:db8:1:2:aaaa::1'); // '2001:db8:1:2::/64'
 */
export function throttleAddress(ip: string): string {
  const address = ip.trim().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined && net.isIPv4(mapped)) return mapped;
  if (net.isIPv6(address)) {
    const network = ipv6Groups(address.toLowerCase())
      .slice(0, 4)
      .map((group) => Number.parseInt(group, 16).toString(16));
    return `${network.join(':')}::/64`;
  }
  // Never a `|`, which separates the address from the email in a pair's key.
  return address.slice(0, 64).replaceAll('|', '_');
}

/**
 * The counters a password attempt counts against: the (email, address) pair,
 * the address when known, the email, and the account.
 *
 * @example
 * loginThrottleSubjects('Ana@Acme.test', '203.0.113.7').map((s) => s.key);
 * // ['pair:203.0.113.7|ana@acme.test', 'ip:203.0.113.7', 'email:ana@acme.test', 'account']
 */
export function loginThrottleSubjects(email: string, clientIp: string | null | undefined): ThrottleSubject[] {
  // An email address has at most 254 characters; a longer one only pads the table.
  const normalized = email.toLowerCase().slice(0, 320);
  const known = clientIp !== null && clientIp !== undefined && clientIp.trim() !== '';
  const address = known ? throttleAddress(clientIp) : UNKNOWN_ADDRESS;
  return [
    { kind: 'pair', key: `pair:${address}|${normalized}`, email: normalized },
    ...(known ? [{ kind: 'ip' as const, key: `ip:${address}`, email: null }] : []),
    { kind: 'email', key: `email:${normalized}`, email: normalized },
    { kind: 'account', key: 'account', email: null },
  ];
}

const plusSeconds = (at: Date, seconds: number): string => new Date(at.getTime() + seconds * 1000).toISOString();

/** Whether any locking counter among `subjects` is locked now and, if so, for how much longer (the longest of their locks). */
export async function checkLoginThrottle(
  deps: ThrottleDeps,
  accountId: number,
  subjects: readonly ThrottleSubject[],
): Promise<LoginThrottleState> {
  const now = deps.clock.now();
  const locks = await findActiveLocks(
    deps.db,
    accountId,
    subjects.filter((subject) => isLockKind(subject.kind)).map((subject) => subject.key),
    now.toISOString(),
  );
  if (locks.length === 0) return { locked: false };
  const until = Math.max(...locks.map((lock) => new Date(lock.lockedUntil).getTime()));
  return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil((until - now.getTime()) / 1000)) };
}

function scheduleFor(kind: LockKind, now: Date): LockSchedule {
  const freeFailures = LOGIN_THROTTLE_POLICY.freeFailures[kind];
  const lockedUntil: string[] = [];
  for (let failures = freeFailures + 1; ; failures += 1) {
    const seconds = lockSeconds(kind, failures);
    lockedUntil.push(plusSeconds(now, seconds));
    if (seconds >= LOGIN_THROTTLE_POLICY.maxLockSeconds) break;
  }
  return { freeFailures, lockedUntil };
}

/**
 * Counts a failed attempt against each subject: one upsert per locking kind
 * (each has its own schedule), one per counting kind, all atomic under
 * concurrency. When a counting kind reaches its alert threshold, the alert
 * is raised once for the window (`target`: the user or staff member the email
 * belongs to, when there is one).
 */
export async function recordLoginFailure(
  deps: ThrottleDeps,
  accountId: number,
  subjects: readonly ThrottleSubject[],
  target?: AlertTarget,
): Promise<void> {
  const now = deps.clock.now();
  const decayBefore = plusSeconds(now, -LOGIN_THROTTLE_POLICY.decaySeconds);
  const lockKinds = [...new Set(subjects.map((subject) => subject.kind).filter(isLockKind))];
  await Promise.all([
    ...lockKinds.map(async (kind) => {
      const counts = await countFailures(deps.db, {
        accountId,
        subjects: subjects.filter((subject) => subject.kind === kind).map(({ key, email }) => ({ subject: key, email })),
        now: now.toISOString(),
        decayBefore,
        schedule: scheduleFor(kind, now),
      });
      for (const { failures } of counts) {
        if (failures === LOGIN_THROTTLE_POLICY.freeFailures[kind] + 1) await announceLock(deps, accountId, kind, failures, target);
      }
    }),
    ...subjects.flatMap((subject) =>
      subject.kind === 'email' || subject.kind === 'account'
        ? [countSustainedFailures(deps, { accountId, kind: subject.kind, key: { subject: subject.key, email: subject.email }, target })]
        : [],
    ),
  ]);
}

/** The audit action (public security event `sign_in.locked`) of a lock. */
export const SIGN_IN_LOCKED_ACTION = 'security.sign_in_locked';

/**
 * A counter's first lock of a streak is a security event: once per streak
 * (the next one starts after an hour without failures), so guesses cannot
 * flood the chain. Counts only in the chain; the address is in the sign-in
 * events and the log.
 */
async function announceLock(deps: ThrottleDeps, accountId: number, kind: LockKind, failures: number, target: AlertTarget | undefined) {
  const lockedSeconds = lockSeconds(kind, failures);
  await recordAudit(deps.db, deps, {
    accountId,
    actor: { type: 'system' },
    action: SIGN_IN_LOCKED_ACTION,
    ...(kind === 'pair' && target !== undefined ? { target } : {}),
    data: { scope: kind, failures, locked_seconds: lockedSeconds },
  });
  deps.log?.warn({ event: SIGN_IN_LOCKED_ACTION, accountId, scope: kind, failures, lockedSeconds }, 'Password sign-ins locked.');
}

/**
 * After a right password: the pair's counter starts again. The address's
 * does not (or one known password would reset it), nor do the counting ones.
 */
export async function clearLoginThrottle(deps: ThrottleDeps, accountId: number, subjects: readonly ThrottleSubject[]): Promise<void> {
  for (const subject of subjects) if (subject.kind === 'pair') await deleteThrottle(deps.db, accountId, subject.key);
}

/**
 * Deletes counters that have decayed and hold no lock, across all accounts,
 * in one statement; for a periodic retention job. Returns how many went.
 */
export async function purgeDecayedLoginThrottles(deps: ThrottleDeps): Promise<number> {
  const now = deps.clock.now();
  return deleteDecayedThrottles(deps.db, { now: now.toISOString(), decayBefore: plusSeconds(now, -LOGIN_THROTTLE_POLICY.decaySeconds) });
}
