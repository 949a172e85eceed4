// The verdict logic: fail only when the rank test is significant AND the whole interval lies beyond the tolerance;
// pass when the interval lies within it; inconclusive otherwise — in both metric directions.
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, judgeRegression } from '../../toolkit/gate/verdict.ts';

const base = [100, 101, 99, 102, 98, 100.5, 99.5, 101.5];
const scale = (xs: number[], f: number) => xs.map((x) => x * f);
const latency = { ...DEFAULT_POLICY, better: 'lower' as const };

describe('judgeRegression (throughput: higher is better)', () => {
  it('passes the same distribution (A/A)', () => {
    const j = judgeRegression(base, [100.2, 99.1, 101.3, 98.7, 100.8, 99.6, 101.1, 100.1]);
    expect(j.verdict).toBe('pass');
    expect(j.changeLo).toBeGreaterThanOrEqual(-0.05);
    expect(j.reason).toMatch(/within the tolerated −5.0%/);
  });

  it('fails a clear 20 % drop, with the effect size and its interval', () => {
    const j = judgeRegression(base, scale(base, 0.8));
    expect(j.verdict).toBe('fail');
    expect(j.change).toBeCloseTo(-0.2, 6);
    expect(j.changeHi).toBeLessThan(-0.05);
    expect(j.pValue).toBeLessThan(0.05);
    expect(j.test).toBe('mann-whitney exact');
    expect(j.reason).toMatch(/^regression: change −?-20.0%/);
  });

  it('does not fail an improvement', () => {
    expect(judgeRegression(base, scale(base, 1.3)).verdict).toBe('pass');
  });

  it('is inconclusive when the interval straddles the tolerance', () => {
    const noisy = [80, 120, 95, 105, 70, 130, 90, 110];
    const j = judgeRegression(base, noisy);
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/straddles/);
  });

  it('is inconclusive, not failed, when the interval is beyond but the test cannot be significant (3 vs 3)', () => {
    const j = judgeRegression([100, 101, 102], [70, 71, 72]);
    expect(j.pValue).toBeCloseTo(0.1, 10);
    expect(j.changeHi).toBeLessThan(-0.05);
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/not significant/);
  });

  it('holds a small real change to the tolerance: a 3 % drop passes a 5 % gate, fails a 1 % one', () => {
    const tight = [100, 100.2, 99.9, 100.1, 99.8, 100.05, 99.95, 100.15, 100.02, 99.98];
    expect(judgeRegression(tight, scale(tight, 0.97)).verdict).toBe('pass');
    expect(judgeRegression(tight, scale(tight, 0.97), { ...DEFAULT_POLICY, maxRegression: 0.01 }).verdict).toBe('fail');
  });
});

describe('judgeRegression (latency: lower is better)', () => {
  it('fails a 30 % rise and passes a 30 % fall', () => {
    expect(judgeRegression(base, scale(base, 1.3), latency).verdict).toBe('fail');
    expect(judgeRegression(base, scale(base, 0.7), latency).verdict).toBe('pass');
    expect(judgeRegression(base, scale(base, 1.3), latency).limit).toBeCloseTo(1.05, 12);
  });
});
