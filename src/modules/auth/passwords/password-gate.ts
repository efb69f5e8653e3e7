import type { Queryable } from '../../../db/database.js';
import type { Config } from '../../../config/config.js';
import type { Clock } from '../../../platform/clock.js';
import { throttleAddress } from '../throttle/login-throttle.service.js';
import { spendPasswordBudget } from '../throttle/password-budget.js';
import { hashConcurrencyOf, withHashingSlot } from './hashing-capacity.js';

export interface PasswordGateDeps {
  db: Queryable;
  clock: Clock;
  config: Pick<Config, 'passwordRateLimit'> & Partial<Pick<Config, 'passwordHashConcurrency' | 'passwordRefusalDelayMs'>>;
}

/**
 * Runs one step of hash work (a verification, or a few hashes at once) in
 * one of the process's hashing slots, or refuses it at once with `503
 * ServiceBusy` (`hashing-capacity.ts`).
 */
export type Hashing = <T>(compute: () => Promise<T>) => Promise<T>;

/**
 * The one way into password work a client drives: web and API sign-in,
 * staff sign-in, and every password change (current password, forced change,
 * reset, admin). Before anything else, the client's address spends one check
 * from its per-minute budget (`429 TooManyRequests` past it, so nothing is
 * hashed); then `work` runs, and computes every hash through the `hashing`
 * it is given, so hashes in flight stay within the process's bound, and
 * the client's address within its share of it. Slots are held only while
 * hashing: a refusal that needs no hash (a locked attempt) takes none. `clientIp` is null only for work no remote client
 * drives (the CLI), which has no budget.
 *
 * @example
 * const ok = await throughPasswordGate(deps, request.ip, (hashing) => hashing(() => verifyStoredPassword(stored, password)));
 */
export async function throughPasswordGate<T>(
  deps: PasswordGateDeps,
  clientIp: string | null,
  work: (hashing: Hashing) => Promise<T>,
): Promise<T> {
  if (clientIp !== null) await spendPasswordBudget(deps, clientIp);
  const bound = hashConcurrencyOf(deps.config);
  const address = clientIp === null ? undefined : throttleAddress(clientIp);
  return work((compute) => withHashingSlot(bound, compute, address));
}
