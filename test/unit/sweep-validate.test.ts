import { describe, expect, it } from 'vitest';
import { UsageError } from '../../toolkit/errors.ts';
import { parseCounts, parseDurationSec, parseRepeat, validateCounts } from '../../toolkit/sweep/validate.ts';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseCounts', () => {
  it('parses an ascending list', () => {
    expect(parseCounts('1,2,4,8', 8)).toEqual([1, 2, 4, 8]);
    expect(parseCounts(' 3 , 5 ', 8)).toEqual([3, 5]);
    expect(parseCounts('6', 8)).toEqual([6]);
  });

  it.each([
    [undefined, /empty/],
    ['', /empty/],
    ['  ', /empty/],
    ['1,,2', /'' is not a whole number/],
    ['1,two', /'two' is not a whole number/],
    ['1,2.5', /'2.5' is not a whole number/],
    ['-1,2', /'-1' is not a whole number/],
    ['0,1,2', /0 is below 1/],
    ['1,3,2', /2 after 3 is out of order/],
    ['1,2,2,3', /2 appears twice/],
    ['1,2,9', /9 is above the maximum of 8/],
  ])('rejects %j', (text, message) => {
    const err = usageError(() => parseCounts(text, 8));
    expect(err.message).toMatch(message);
    expect(err.exitCode).toBe(2);
  });

  it('validates lists built in code too', () => {
    expect(usageError(() => validateCounts([], 4)).message).toMatch(/empty/);
    expect(usageError(() => validateCounts([1, 1.5], 4)).message).toMatch(/1.5 is not a whole number/);
    expect(() => validateCounts([1, 2, 4], 4)).not.toThrow();
  });
});

describe('parseRepeat', () => {
  it('defaults and parses', () => {
    expect(parseRepeat(undefined)).toBe(3);
    expect(parseRepeat(undefined, 5)).toBe(5);
    expect(parseRepeat('1')).toBe(1);
  });
  it.each(['0', '-2', '1.5', 'x', '51', ''])('rejects %j', (text) => {
    expect(usageError(() => parseRepeat(text)).message).toMatch(/--repeat/);
  });
});

describe('parseDurationSec', () => {
  it.each([
    ['10s', 10],
    ['1m30s', 90],
    ['500ms', 0.5],
    ['0s', 0],
    ['2h', 7200],
    ['15', 15],
  ])('%s → %d s', (text, sec) => {
    expect(parseDurationSec(text, '--warmup')).toBeCloseTo(sec);
  });
  it.each(['', 'ten', '10x', '10s5', 's10'])('rejects %j', (text) => {
    expect(usageError(() => parseDurationSec(text, '--warmup')).message).toMatch(/--warmup: .* is not a duration/);
  });
});
