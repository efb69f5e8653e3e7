/**
 * Polls `check` until it holds. Past `timeoutMs` it fails with `message`,
 * saying what was awaited, rather than leaving the test to its timeout.
 *
 * @example
 * await waitUntil(async () => (await countDone()) >= 30, { message: 'the worker to flag 30 targets' });
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: { message: string; timeoutMs?: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`Gave up after ${options.timeoutMs ?? 30_000} ms waiting for ${options.message}.`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
