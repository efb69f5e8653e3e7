import type { Queryable } from '../../../db/database.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import type { Clock } from '../../../platform/clock.js';
import type { WarnLog } from '../../../platform/service-deps.js';
import { claimWindowAlert, countFailingAddresses, countInWindow, type CounterKey } from './login-throttle.repo.js';

/**
 * Failures that no lock answers (one email from many addresses, or a whole
 * account under credential stuffing) are counted over a fixed window and,
 * past a threshold, raise an alert once per window: an audit event on the
 * account's chain (the platform's for staff) and a warning in the log.
 *
 * One email: a single address fails at most about 16 times an hour before
 * its pair lock stops it, so 30 takes several addresses. One account: far
 * more than its users mistyping.
 */
export const SUSTAINED_FAILURES_POLICY = Object.freeze({
  alertAfter: Object.freeze({ email: 30, account: 1000 }),
  windowSeconds: 60 * 60,
});

export type AlertKind = keyof typeof SUSTAINED_FAILURES_POLICY.alertAfter;

/** The audit action of the alert. */
export const SUSTAINED_FAILURES_ACTION = 'security.sign_in_failures_sustained';

/** Who the attacked email belongs to, when anyone does. */
export interface AlertTarget {
  type: 'user' | 'staff_user';
  id: number;
}

interface AlertDeps {
  db: Queryable;
  clock: Clock;
  keyring: Keyring;
  log?: WarnLog;
}

const stderrLog: WarnLog = {
  warn: (details, message) => console.warn(JSON.stringify({ level: 'warn', msg: message, ...details })),
};

/**
 * Counts one failure on a counting subject (`email:…` or `account`) and, when
 * this failure takes its window to the threshold and nobody has raised this
 * window's alert yet, raises it. Exactly one caller per window wins the
 * claim, across processes.
 */
export async function countSustainedFailures(
  deps: AlertDeps,
  input: { accountId: number; kind: AlertKind; key: CounterKey; target: AlertTarget | undefined },
): Promise<void> {
  const now = deps.clock.now();
  const windowStartedBefore = new Date(now.getTime() - SUSTAINED_FAILURES_POLICY.windowSeconds * 1000).toISOString();
  const counted = await countInWindow(deps.db, { accountId: input.accountId, key: input.key, now: now.toISOString(), windowStartedBefore });
  const threshold = SUSTAINED_FAILURES_POLICY.alertAfter[input.kind];
  if (counted.count < threshold || (counted.alertedAt !== null && counted.alertedAt >= counted.windowStartedAt)) return;
  const claim = {
    accountId: input.accountId,
    subject: input.key.subject,
    windowStartedAt: counted.windowStartedAt,
    now: now.toISOString(),
  };
  if (!(await claimWindowAlert(deps.db, claim))) return;
  const email = input.kind === 'email' ? input.key.email : null;
  const addresses = await countFailingAddresses(deps.db, { accountId: input.accountId, email, since: counted.windowStartedAt });
  const target = input.kind === 'email' ? input.target : undefined;
  await recordAudit(deps.db, deps, {
    accountId: input.accountId,
    actor: { type: 'system' },
    action: SUSTAINED_FAILURES_ACTION,
    ...(target === undefined ? {} : { target }),
    // Counts only: the email goes to the log, never into the chain's hashed data.
    data: {
      scope: input.kind,
      failures: counted.count,
      addresses,
      window_started_at: counted.windowStartedAt,
      window_seconds: SUSTAINED_FAILURES_POLICY.windowSeconds,
    },
  });
  (deps.log ?? stderrLog).warn(
    { event: SUSTAINED_FAILURES_ACTION, accountId: input.accountId, scope: input.kind, email, failures: counted.count, addresses },
    input.kind === 'email'
      ? `Sustained sign-in failures for one email: ${counted.count} from ${addresses} addresses since ${counted.windowStartedAt}.`
      : `Sustained sign-in failures on an account: ${counted.count} from ${addresses} addresses since ${counted.windowStartedAt}.`,
  );
}
