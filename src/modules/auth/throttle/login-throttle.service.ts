import net from 'node:net';
import type { Queryable } from '../../../db/database.js';
import type { Clock } from '../../../platform/clock.js';
import { countFailures, deleteDecayedThrottles, deleteThrottle, findActiveLocks, type LockSchedule } from './login-throttle.repo.js';

/**
 * Password guessing is slowed per account and email, and per account and
 * client address, in the database so that every process shares the counts.
 * A subject's first failures are free; each later one locks it for twice as
 * long as the one before (2 s, 4 s, 8 s, ... up to 15 minutes). A counter
 * decays: an hour without failures and it starts again from zero. Nothing is
 * ever locked for longer than `maxLockSeconds`.
 *
 * Counters are not audited: every guess would otherwise write to the
 * account's audit chain, which an attacker could flood.
 */
export const LOGIN_THROTTLE_POLICY = Object.freeze({
  /**
   * Failures before the first lock. An address gets more: a whole office may
   * sign in from one NAT address, and the email counter already stops
   * guessing at one user.
   */
  freeFailures: Object.freeze({ email: 5, ip: 20 }),
  maxLockSeconds: 15 * 60,
  decaySeconds: 60 * 60,
});

export type ThrottleSubjectKind = keyof typeof LOGIN_THROTTLE_POLICY.freeFailures;

/** What a counter is about: `email:ana@acme.test` or `ip:203.0.113.7`. */
export interface ThrottleSubject {
  kind: ThrottleSubjectKind;
  key: string;
}

export type LoginThrottleState = { locked: false } | { locked: true; retryAfterSeconds: number };

/** What the throttle needs: a database handle or a transaction, and the clock. */
export interface ThrottleDeps {
  db: Queryable;
  clock: Clock;
}

/**
 * How long a subject with `failures` failures in a row stays locked:
 * 0 while free, then 2^(failures − free) seconds, capped.
 *
 * @example
 * lockSeconds('email', 5); // 0
 * lockSeconds('email', 6); // 2
 * lockSeconds('email', 40); // 900
 */
export function lockSeconds(kind: ThrottleSubjectKind, failures: number): number {
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
  return address.slice(0, 64);
}

/**
 * The subjects a password attempt counts against: the email (lower-cased) and,
 * when known, the client address.
 *
 * @example
 * loginThrottleSubjects('Ana@Acme.test', '203.0.113.7'); // [{ kind: 'email', key: 'email:ana@acme.test' }, { kind: 'ip', key: 'ip:203.0.113.7' }]
 */
export function loginThrottleSubjects(email: string, clientIp: string | null | undefined): ThrottleSubject[] {
  // An email address has at most 254 characters; a longer one only pads the table.
  const subjects: ThrottleSubject[] = [{ kind: 'email', key: `email:${email.toLowerCase().slice(0, 320)}` }];
  if (clientIp !== null && clientIp !== undefined && clientIp.trim() !== '')
    subjects.push({ kind: 'ip', key: `ip:${throttleAddress(clientIp)}` });
  return subjects;
}

const plusSeconds = (at: Date, seconds: number): string => new Date(at.getTime() + seconds * 1000).toISOString();

/** Whether any of `subjects` is locked now and, if so, for how much longer (the longest of their locks). */
export async function checkLoginThrottle(
  deps: ThrottleDeps,
  accountId: number,
  subjects: readonly ThrottleSubject[],
): Promise<LoginThrottleState> {
  const now = deps.clock.now();
  const locks = await findActiveLocks(
    deps.db,
    accountId,
    subjects.map((subject) => subject.key),
    now.toISOString(),
  );
  if (locks.length === 0) return { locked: false };
  const until = Math.max(...locks.map((lock) => new Date(lock.lockedUntil).getTime()));
  return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil((until - now.getTime()) / 1000)) };
}

function scheduleFor(kind: ThrottleSubjectKind, now: Date): LockSchedule {
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
 * Counts a failed attempt against each subject: one upsert per kind of
 * subject (each kind has its own schedule), atomic under concurrency.
 */
export async function recordLoginFailure(deps: ThrottleDeps, accountId: number, subjects: readonly ThrottleSubject[]): Promise<void> {
  const now = deps.clock.now();
  const decayBefore = plusSeconds(now, -LOGIN_THROTTLE_POLICY.decaySeconds);
  const kinds = [...new Set(subjects.map((subject) => subject.kind))];
  await Promise.all(
    kinds.map((kind) =>
      countFailures(deps.db, {
        accountId,
        subjects: subjects.filter((subject) => subject.kind === kind).map((subject) => subject.key),
        now: now.toISOString(),
        decayBefore,
        schedule: scheduleFor(kind, now),
      }),
    ),
  );
}

/** After a successful sign-in: the email's counter starts again (the address's does not, or one known password would reset it). */
export async function clearLoginThrottle(deps: ThrottleDeps, accountId: number, subject: ThrottleSubject): Promise<void> {
  await deleteThrottle(deps.db, accountId, subject.key);
}

/**
 * Deletes counters that have decayed and hold no lock, across all accounts,
 * in one statement; for a periodic retention job. Returns how many went.
 */
export async function purgeDecayedLoginThrottles(deps: ThrottleDeps): Promise<number> {
  const now = deps.clock.now();
  return deleteDecayedThrottles(deps.db, { now: now.toISOString(), decayBefore: plusSeconds(now, -LOGIN_THROTTLE_POLICY.decaySeconds) });
}
