import { describe, expect, it } from 'vitest';
import { cumulativePoints, resolutionFor } from './campaign-series.service.js';

describe('a campaign’s completion series', () => {
  it('adds flagged and changed counts up bucket by bucket, in time order, with gaps carried over', () => {
    const flagged = [
      { bucket: '2026-06-01T12:00', users: 10 },
      { bucket: '2026-06-01T12:01', users: 5 },
    ];
    const changed = [
      { bucket: '2026-06-01T12:01', users: 2 },
      { bucket: '2026-06-01T12:05', users: 3 },
    ];
    expect(cumulativePoints(flagged, changed, ':00.000Z')).toEqual([
      { at: '2026-06-01T12:00:00.000Z', flagged: 10, changed: 0 },
      { at: '2026-06-01T12:01:00.000Z', flagged: 15, changed: 2 },
      { at: '2026-06-01T12:05:00.000Z', flagged: 15, changed: 5 },
    ]);
    expect(cumulativePoints([], [], '')).toEqual([]);
  });

  it('keeps one point per batch only while a campaign is young and its batches few, then coarsens with age', () => {
    expect(resolutionFor(30_000, 12).resolution).toBe('exact');
    expect(resolutionFor(30_000, 5_000).resolution).toBe('second');
    expect(resolutionFor(10 * 60_000, 12).resolution).toBe('second');
    expect(resolutionFor(3 * 3_600_000, 12).resolution).toBe('minute');
    expect(resolutionFor(30 * 86_400_000, 12).resolution).toBe('hour');
    expect(resolutionFor(400 * 86_400_000, 12)).toMatchObject({ resolution: 'day', length: 10 });
  });
});
