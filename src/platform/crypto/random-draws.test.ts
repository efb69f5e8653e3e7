import { describe, expect, it } from 'vitest';
import { randomDraws } from './random-draws.js';

describe('random draws', () => {
  it('hands out values of the size asked, never the same one twice, across blocks', () => {
    const draw = randomDraws(16, 4);
    const values = Array.from({ length: 4 * 50 + 3 }, () => draw());
    expect(values.every((value) => value.length === 16)).toBe(true);
    expect(new Set(values.map((value) => value.toString('hex'))).size).toBe(values.length);
  });

  it('gives each value a buffer of its own, so changing one changes no other', () => {
    const draw = randomDraws(12, 8);
    const first = draw();
    const second = draw();
    const secondBefore = second.toString('hex');
    first.fill(0);
    expect(second.toString('hex')).toBe(secondBefore);
  });
});
