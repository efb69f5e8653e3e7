import { AppError } from '../../../errors.js';

/** libuv's thread pool, where argon2 and PBKDF2 run: `UV_THREADPOOL_SIZE`, 4 unless set (1 to 1024). */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size >= 1 && size <= 1024 ? size : 4;
}

/**
 * How many steps of password hash work may be in flight at once in this
 * process: the setting, else four times the thread pool (each thread busy
 * and three waiting, so a check waits at most a few hashes' time, never a
 * long queue).
 */
export const hashConcurrencyOf = (config: { passwordHashConcurrency?: number | undefined }): number =>
  config.passwordHashConcurrency ?? 4 * threadPoolSize();

let inFlight = 0;
/** Steps in flight per client address: none may take more than a quarter of the slots. */
const inFlightByAddress = new Map<string, number>();
export const addressShareOf = (bound: number): number => Math.max(1, Math.floor(bound / 4));

/** Steps of password hash work in flight in this process now. */
export const passwordChecksInFlight = (): number => inFlight;

export const serviceBusy = (): AppError =>
  new AppError(
    'ServiceBusy',
    'The server is checking as many passwords as it can right now. Try again in a second; API scripts can use an API token (email/token:TOKEN), which needs no password check.',
    { retryAfterSeconds: 1 },
  );

const tooManyAtOnce = (): AppError =>
  new AppError(
    'TooManyRequests',
    'Too many password checks at once from your address. Wait for the ones under way, then try again in a second.',
    { retryAfterSeconds: 1 },
  );

/**
 * Runs one step of hash work (a verification, or a few hashes at once) if
 * fewer than `bound` are in flight in this process, else refuses at once
 * with `503 ServiceBusy` and `Retry-After: 1`: load beyond the thread pool is
 * shed, never queued, so a flood cannot make every sign-in wait behind it.
 * One client `address` may hold at most a quarter of the slots (`429
 * TooManyRequests` beyond), so a burst from one address leaves room for
 * everyone else.
 *
 * @example
 * const verification = await withHashingSlot(hashConcurrencyOf(config), () => verifyStoredPassword(stored, password), '203.0.113.7');
 */
export async function withHashingSlot<T>(bound: number, work: () => Promise<T>, address?: string): Promise<T> {
  if (inFlight >= bound) throw serviceBusy();
  const held = address === undefined ? 0 : (inFlightByAddress.get(address) ?? 0);
  if (address !== undefined && held >= addressShareOf(bound)) throw tooManyAtOnce();
  inFlight += 1;
  if (address !== undefined) inFlightByAddress.set(address, held + 1);
  try {
    return await work();
  } finally {
    inFlight -= 1;
    if (address !== undefined) {
      const left = (inFlightByAddress.get(address) ?? 1) - 1;
      if (left <= 0) inFlightByAddress.delete(address);
      else inFlightByAddress.set(address, left);
    }
  }
}
