import { describe, expect, it } from 'vitest';
import { fitUsl, peakConcurrency, uslThroughput } from '../../toolkit/analyse/usl.ts';

// SPEC SDM91 on a 16-CPU Sun SPARCcenter 2000 (Gunther, Guerrilla Capacity Planning; dataset `specsdm91` of the R
// package `usl`). The R package's nonlinear fit reports sigma 0.0277285, kappa 0.0001044, gamma (λ) 89.995.
const SPECSDM91 = [
  { n: 1, x: 64.9 },
  { n: 18, x: 995.9 },
  { n: 36, x: 1652.4 },
  { n: 72, x: 1853.2 },
  { n: 108, x: 1828.9 },
  { n: 144, x: 1775.0 },
  { n: 216, x: 1702.2 },
];

const within = (got: number, want: number, rel: number) => expect(Math.abs(got - want) / want).toBeLessThan(rel);

describe('fitUsl', () => {
  it('reproduces the published SPEC SDM91 coefficients', () => {
    const fit = fitUsl(SPECSDM91);
    within(fit.sigma, 0.0277285, 0.02);
    within(fit.kappa, 0.0001044, 0.02);
    within(fit.lambda, 89.995, 0.02);
    // peak.scalability() in the R package: 97 (two significant digits).
    within(fit.peakN, 96.5, 0.02);
    expect(fit.r2).toBeGreaterThan(0.98);
    // fitted(u) in the R package's tests: 90 1078 1541 1850 1879 1822 1646.
    expect(SPECSDM91.map((p) => Math.round(fit.predict(p.n)))).toEqual([90, 1078, 1541, 1850, 1879, 1822, 1646]);
  });

  it.each([
    { lambda: 120, sigma: 0.05, kappa: 0.002 },
    { lambda: 400, sigma: 0.2, kappa: 0.01 },
    { lambda: 35, sigma: 0.01, kappa: 0.0005 },
    { lambda: 180, sigma: 0.1, kappa: 0.04 },
  ])('recovers known parameters from noisy repeats %o', (p) => {
    const wobble = [0.99, 1.01, 1.0];
    const points = [1, 2, 3, 4, 6, 8, 12, 16].flatMap((n) => wobble.map((w) => ({ n, x: uslThroughput(p, n) * w })));
    const fit = fitUsl(points);
    within(fit.lambda, p.lambda, 0.02);
    within(fit.sigma, p.sigma, 0.15);
    within(fit.kappa, p.kappa, 0.15);
    within(fit.peakN, peakConcurrency(p.sigma, p.kappa), 0.1);
  });

  it('recovers exact synthetic data to many digits', () => {
    const p = { lambda: 250, sigma: 0.07, kappa: 0.003 };
    const fit = fitUsl([1, 2, 4, 8, 16, 32].map((n) => ({ n, x: uslThroughput(p, n) })));
    within(fit.sigma, p.sigma, 1e-4);
    within(fit.kappa, p.kappa, 1e-4);
    within(fit.lambda, p.lambda, 1e-6);
    expect(fit.r2).toBeCloseTo(1, 9);
  });

  it('keeps σ and κ non-negative and reports no peak for Amdahl-shaped data (κ = 0)', () => {
    const amdahl = { lambda: 100, sigma: 0.1, kappa: 0 };
    const fit = fitUsl([1, 2, 4, 8, 16].map((n) => ({ n, x: uslThroughput(amdahl, n) })));
    expect(fit.kappa).toBeGreaterThanOrEqual(0);
    expect(fit.kappa).toBeLessThan(1e-6);
    within(fit.sigma, 0.1, 0.01);
    // Super-linear data would pull σ below zero without the bound.
    const superLinear = fitUsl([1, 2, 3, 4].map((n) => ({ n, x: 100 * n ** 1.1 })));
    expect(superLinear.sigma).toBeGreaterThanOrEqual(0);
    expect(superLinear.kappa).toBeGreaterThanOrEqual(0);
  });

  it('gives Infinity for peakN exactly when κ = 0', () => {
    expect(peakConcurrency(0.1, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(peakConcurrency(0.0277, 0.000104)).toBeCloseTo(96.7, 1);
  });

  it('refuses data it cannot fit', () => {
    expect(() =>
      fitUsl([
        { n: 1, x: 10 },
        { n: 2, x: 19 },
      ]),
    ).toThrow(/at least 3 distinct/);
    expect(() =>
      fitUsl([
        { n: 1, x: 10 },
        { n: 1, x: 11 },
        { n: 2, x: 19 },
        { n: 2, x: 18 },
      ]),
    ).toThrow(/got 2/);
    expect(() =>
      fitUsl([
        { n: 1, x: 10 },
        { n: 2, x: Number.NaN },
        { n: 3, x: 25 },
      ]),
    ).toThrow(/finite/);
    expect(() =>
      fitUsl([
        { n: 0, x: 10 },
        { n: 2, x: 19 },
        { n: 3, x: 25 },
      ]),
    ).toThrow(/n > 0/);
  });
});
