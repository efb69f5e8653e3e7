import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../../../db/database.js';
import { AppError } from '../../../errors.js';
import { PLATFORM_ACCOUNT_ID } from '../../../platform/audit/audit.service.js';
import type { Clock } from '../../../platform/clock.js';
import { countInWindow } from './login-throttle.repo.js';
import { throttleAddress } from './login-throttle.service.js';

/**
 * Every client address has a budget of password checks a minute
 * (`RIPOSTE_PASSWORD_RATE_LIMIT`), across all accounts, the staff realm and
 * every route: one counter per address (IPv6 by its /64) in the database, so
 * that every process spends from the same budget. Once an address is over
 * it, this process refuses it from memory until its window ends, so a flood
 * costs neither a hash nor a database write; and it answers those refusals
 * after a pause (`RIPOSTE_PASSWORD_REFUSAL_DELAY_MS`, a second by default),
 * so that a client flooding over keep-alive connections, which waits for
 * each answer, sends one request per connection and pause instead of as many
 * as can be refused.
 */
export const PASSWORD_BUDGET_WINDOW_SECONDS = 60;

/** The pause of a refusal when the setting is absent, and how many refusals may wait at once per process (beyond: answered at once). */
export const REFUSAL_PAUSE = Object.freeze({ defaultMilliseconds: 1000, atOnce: 2000 });
let pausedRefusals = 0;

async function pauseBeforeRefusing(milliseconds: number): Promise<void> {
  if (milliseconds <= 0 || pausedRefusals >= REFUSAL_PAUSE.atOnce) return;
  pausedRefusals += 1;
  try {
    await sleep(milliseconds);
  } finally {
    pausedRefusals -= 1;
  }
}

export interface PasswordBudgetDeps {
  db: Queryable;
  clock: Clock;
  config: { passwordRateLimit: number; passwordRefusalDelayMs?: number | undefined };
}

/** Addresses over budget, until when (epoch ms), per database: tests open many, each with its own counters. */
const refusedUntilByDatabase = new WeakMap<object, Map<string, number>>();
const REMEMBERED_REFUSALS = 10_000;

function refusedUntilOf(db: object): Map<string, number> {
  let refused = refusedUntilByDatabase.get(db);
  if (refused === undefined) {
    refused = new Map();
    refusedUntilByDatabase.set(db, refused);
  }
  return refused;
}

function rememberRefusal(refused: Map<string, number>, address: string, until: number, now: number): void {
  if (refused.size >= REMEMBERED_REFUSALS) {
    for (const [key, ends] of refused) if (ends <= now) refused.delete(key);
    // Still full (many addresses at once): forget them all; the database still counts.
    if (refused.size >= REMEMBERED_REFUSALS) refused.clear();
  }
  refused.set(address, until);
}

const overBudget = (limit: number, retryAfterSeconds: number): AppError =>
  new AppError(
    'TooManyRequests',
    `Too many password attempts from your address: at most ${limit} a minute. Try again in ${retryAfterSeconds} seconds; ` +
      'scripts should use an API token (email/token:TOKEN), which needs no password check.',
    { retryAfterSeconds, details: { retry_after_seconds: retryAfterSeconds } },
  );

/**
 * Spends one password check from the budget of `clientIp`, or refuses with
 * `429 TooManyRequests` and `Retry-After` when it is spent.
 *
 * @example
 * await spendPasswordBudget(deps, request.ip); // throws a 429 AppError past the budget
 */
export async function spendPasswordBudget(deps: PasswordBudgetDeps, clientIp: string): Promise<void> {
  const address = throttleAddress(clientIp);
  const limit = deps.config.passwordRateLimit;
  const now = deps.clock.now();
  const refused = refusedUntilOf(deps.db);
  const refusedUntil = refused.get(address);
  if (refusedUntil !== undefined && refusedUntil > now.getTime()) {
    const pause = deps.config.passwordRefusalDelayMs ?? REFUSAL_PAUSE.defaultMilliseconds;
    await pauseBeforeRefusing(Math.min(pause, refusedUntil - now.getTime()));
    throw overBudget(limit, Math.max(1, Math.ceil((refusedUntil - now.getTime()) / 1000)));
  }
  const counted = await countInWindow(deps.db, {
    accountId: PLATFORM_ACCOUNT_ID,
    key: { subject: `budget:${address}`, email: null },
    now: now.toISOString(),
    windowStartedBefore: new Date(now.getTime() - PASSWORD_BUDGET_WINDOW_SECONDS * 1000).toISOString(),
  });
  if (counted.count <= limit) return;
  const until = Date.parse(counted.windowStartedAt) + PASSWORD_BUDGET_WINDOW_SECONDS * 1000;
  rememberRefusal(refused, address, until, now.getTime());
  throw overBudget(limit, Math.max(1, Math.ceil((until - now.getTime()) / 1000)));
}
