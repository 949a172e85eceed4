import { describe, expect, it } from 'vitest';
import { efficiency, type LevelSummary, parseSlo, recommend, sloMisses } from '../../toolkit/analyse/recommend.ts';
import { UsageError } from '../../toolkit/errors.ts';

const lat = (p95: number) => ({ avg: p95 / 2, p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.5, max: p95 * 3 });
const level = (n: number, throughput: number, p95: number): LevelSummary => ({ n, throughput, latency: lat(p95) });

describe('parseSlo', () => {
  it.each([
    ['p(95)<300', 'p95', '<', 300],
    ['p(99) <= 1.5s', 'p99', '<=', 1500],
    ['avg<120ms', 'avg', '<', 120],
    ['med<50', 'p50', '<', 50],
    ['P(90)<200', 'p90', '<', 200],
    ['max<2s', 'max', '<', 2000],
  ])('%s', (text, key, op, ms) => {
    const slo = parseSlo(text);
    expect(slo.conditions).toEqual([expect.objectContaining({ key, op, thresholdMs: ms })]);
  });

  it('accepts several conditions joined by commas', () => {
    const slo = parseSlo('p(95)<300, p(99)<800');
    expect(slo.conditions.map((c) => c.key)).toEqual(['p95', 'p99']);
    expect(slo.text).toBe('p(95)<300,p(99)<800');
  });

  it.each([
    ['', /empty condition/],
    ['p(95)', /expected <metric><op><number>/],
    ['p(95)>300', /expected <metric><op><number>/],
    ['p(97)<300', /unknown metric 'p\(97\)'/],
    ['latency<300', /unknown metric 'latency'/],
    ['p(95)<0', /above 0/],
    ['p(95)<300,', /empty condition/],
    ['p(95)<abc', /expected/],
  ])('rejects %j with a clear usage error', (text, message) => {
    let err: unknown;
    try {
      parseSlo(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toMatch(message);
    expect((err as UsageError).hint).toMatch(/p\(95\)<300/);
  });

  it('reports what a latency misses', () => {
    expect(sloMisses(parseSlo('p(95)<300'), lat(300))).toEqual(['p95=300ms ≥ 300ms']);
    expect(sloMisses(parseSlo('p(95)<=300'), lat(300))).toEqual([]);
  });
});

describe('recommend', () => {
  const levels = [
    level(1, 100, 900),
    level(2, 190, 400),
    level(3, 260, 250),
    level(4, 300, 200),
    level(5, 310, 190),
    level(6, 305, 195),
  ];

  it('picks the smallest count within 5% of the best throughput', () => {
    const r = recommend(levels);
    expect(r.replicas).toBe(4);
    expect(r.bestN).toBe(5);
    expect(r.reason).toMatch(/4 replicas: 300 req\/s, 97% of the best \(310 at 5\)/);
  });

  it('skips counts that miss the objective', () => {
    const tight = [level(1, 100, 200), level(2, 195, 350), level(3, 200, 150)];
    expect(recommend(tight).replicas).toBe(2);
    const r = recommend(tight, { slo: parseSlo('p(95)<300') });
    expect(r.replicas).toBe(3);
    expect(r.reason).toMatch(/meets p\(95\)<300/);
  });

  it('says so when no count meets the objective', () => {
    const r = recommend(levels, { slo: parseSlo('p(95)<100') });
    expect(r.replicas).toBeNull();
    expect(r.reason).toMatch(
      /no measured replica count meets p\(95\)<100; closest is 5 replicas \(p95=190ms ≥ 100ms\)/,
    );
  });

  it('says so when the counts that meet the objective are too slow', () => {
    const r = recommend([level(1, 100, 200), level(2, 200, 400)], { slo: parseSlo('p(95)<300') });
    expect(r.replicas).toBeNull();
    expect(r.reason).toMatch(/reach at most 100 req\/s \(at 1\)/);
  });

  it('handles a single level and refuses none', () => {
    expect(recommend([level(3, 50, 10)]).replicas).toBe(3);
    expect(() => recommend([])).toThrow(/at least one/);
  });
});

describe('efficiency', () => {
  it('is X(N) / (N·X(1))', () => {
    expect(efficiency(1, 100, 100)).toBe(1);
    expect(efficiency(4, 300, 100)).toBe(0.75);
    expect(efficiency(2, 100, 0)).toBeNaN();
  });
});
