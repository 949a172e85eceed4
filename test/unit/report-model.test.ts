import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareModels, modelFromLoadtest, modelFromSweep, renderComparison } from '../../toolkit/report/index.ts';
import type { LoadtestResult, SweepResult } from '../../toolkit/sweep/types.ts';

const sweep = JSON.parse(readFileSync(new URL('../fixtures/sweep/sweep.json', import.meta.url), 'utf8')) as SweepResult;
const single = JSON.parse(
  readFileSync(new URL('../fixtures/sweep/loadtest-single.json', import.meta.url), 'utf8'),
) as LoadtestResult;

describe('modelFromSweep', () => {
  const m = modelFromSweep(sweep);

  it('carries medians, the USL prediction and efficiency per count', () => {
    expect(m.levels.map((l) => l.replicas)).toEqual([1, 2, 3, 4, 5, 6]);
    const l2 = m.levels[1];
    expect(l2.throughput.median).toBe(sweep.levels[1].throughput.median);
    expect(l2.latency.p95).toBe(sweep.levels[1].latency.p95.median);
    expect(l2.predicted).toBeCloseTo((sweep.usl!.lambda * 2) / (1 + sweep.usl!.sigma + sweep.usl!.kappa * 2), 6);
    expect(l2.efficiency).toBeCloseTo(l2.throughput.median / (2 * m.levels[0].throughput.median), 9);
    expect(m.idealPerReplica).toBe(m.levels[0].throughput.median);
  });

  it('joins Docker stats to k6 replica names and samples the USL curve', () => {
    expect(m.levels[2].perReplica.map((p) => [p.replica, p.cpuPercent, p.memoryMiB])).toEqual([
      ['toolkit-inference-1', 90, 80],
      ['toolkit-inference-2', 85, 81],
      ['toolkit-inference-3', 80, 82],
    ]);
    expect(m.curve[0].n).toBe(1);
    expect(m.curve[m.curve.length - 1].n).toBe(6);
    expect(Math.max(...m.curve.map((p) => p.x))).toBeGreaterThan(400);
  });

  it('derives the checks: objective, errors and generator per count, plus the recommendation', () => {
    expect(m.checks).toHaveLength(6 * 3 + 1);
    expect(m.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'objective p(95)<250 at 1 replica(s)',
      'load generator trusted at 5 replica(s)',
    ]);
    expect(m.trusted).toBe(false);
    expect(m.sloThresholds).toEqual([{ key: 'p95', ms: 250 }]);
  });

  it('leaves the objective checks out without an objective', () => {
    const plain = modelFromSweep({ ...sweep, slo: undefined });
    expect(plain.checks.some((c) => c.name.startsWith('objective'))).toBe(false);
    expect(plain.levels.every((l) => l.sloOk === null)).toBe(true);
  });
});

describe('modelFromLoadtest', () => {
  it('is one level with the k6 thresholds as checks', () => {
    const m = modelFromLoadtest(single);
    expect(m.kind).toBe('loadtest');
    expect(m.levels).toHaveLength(1);
    expect(m.levels[0].replicas).toBe(3);
    expect(m.checks.map((c) => c.name)).toEqual([
      'threshold http_req_failed: rate<0.01',
      'error rate at 3 replica(s)',
      'load generator trusted at 3 replica(s)',
    ]);
    expect(m.usl).toBeNull();
  });

  it('marks an untrusted run and a crossed threshold', () => {
    const bad: LoadtestResult = {
      ...single,
      errorRate: 0.05,
      thresholds: [{ metric: 'http_req_duration', expression: 'p(95)<100', ok: false }],
      generator: { cpuPercent: null, hostIdlePercent: 1, trusted: false, reasons: ['host idle 1% < 10%'] },
    };
    const m = modelFromLoadtest(bad);
    expect(m.trusted).toBe(false);
    expect(m.untrusted).toEqual(['3 replica(s): host idle 1% < 10%']);
    expect(m.checks.filter((c) => !c.ok)).toHaveLength(3);
    expect(m.settings).toContainEqual({ label: 'generator CPU', value: 'unknown' });
    const withNginxErrors = modelFromLoadtest({
      ...single,
      perReplica: [...single.perReplica, { replica: 'none', requests: 3, share: 0.001 }],
    });
    expect(withNginxErrors.levels[0].replicas).toBe(3);
  });
});

describe('compare', () => {
  it('lines two runs up by replica count with relative changes', () => {
    const a = modelFromSweep(sweep);
    const faster: SweepResult = {
      ...sweep,
      runId: 'sweep-b',
      levels: sweep.levels
        .slice(0, 3)
        .map((l) => ({ ...l, throughput: { ...l.throughput, median: l.throughput.median * 1.1 } })),
    };
    const c = compareModels(a, modelFromSweep(faster));
    expect(c.rows).toHaveLength(6);
    expect(c.rows[0].rpsChange).toBeCloseTo(0.1, 9);
    expect(c.rows[0].p95Change).toBe(0);
    expect(c.rows[5].b).toBeNull();
    expect(c.rows[5].rpsChange).toBeNull();
    const text = renderComparison(c);
    expect(text).toMatch(/^A: Scaling sweep sweep-fixture\nB: Scaling sweep sweep-b/);
    expect(text).toMatch(/^\s+1\s+181\.8\s+200\.0\s+\+10\.0%/m);
    expect(text).toMatch(/^\s+5\s+! 413\.2\s+–\s+–/m);
    expect(text).toMatch(/! marks measurements from a saturated load generator/);
  });
});
