import { describe, expect, it } from 'vitest';
import { median, percentile, relativeRange, spread } from '../../toolkit/analyse/stats.ts';

describe('stats', () => {
  it('interpolates percentiles between order statistics (numpy default)', () => {
    expect(percentile([1, 2, 3, 4], 25)).toBe(1.75);
    expect(percentile([4, 1, 3, 2], 75)).toBe(3.25);
    expect(percentile([10, 20, 30], 0)).toBe(10);
    expect(percentile([10, 20, 30], 100)).toBe(30);
    expect(percentile([15, 20, 35, 40, 50], 40)).toBe(29);
    expect(percentile([7], 95)).toBe(7);
  });

  it('takes medians of odd and even counts without touching the input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('summarises spread: range, quartiles, IQR and MAD', () => {
    const s = spread([1, 2, 3, 4, 100]);
    expect(s).toEqual({ n: 5, median: 3, min: 1, max: 100, q1: 2, q3: 4, iqr: 2, mad: 1 });
    expect(relativeRange(spread([90, 100, 110]))).toBeCloseTo(0.2);
    expect(relativeRange(spread([0, 0]))).toBe(0);
  });

  it('rejects empty input, non-finite values and impossible percentiles', () => {
    expect(() => median([])).toThrow(/no values/);
    expect(() => spread([1, Number.NaN])).toThrow(/finite/);
    expect(() => percentile([1, 2], 101)).toThrow(/0..100/);
    expect(() => percentile([1, 2], -1)).toThrow(/0..100/);
  });
});
