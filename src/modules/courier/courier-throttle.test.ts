import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttle } from './courier-delivery.js';

describe('the courier throttle', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets `rate` sends a second through, one slot apart, and none early', async () => {
    const pace = throttle(4);
    const passed: number[] = [];
    const sends = [0, 1, 2, 3, 4].map((n) => pace().then(() => passed.push(n)));
    await vi.advanceTimersByTimeAsync(0);
    expect(passed).toEqual([0]);
    await vi.advanceTimersByTimeAsync(249);
    expect(passed).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passed).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(750);
    expect(passed).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(sends);
  });

  it('does not wait at all with a rate of 0', async () => {
    const pace = throttle(0);
    let passed = 0;
    await Promise.all(Array.from({ length: 100 }, () => pace().then(() => (passed += 1))));
    expect(passed).toBe(100);
  });
});
