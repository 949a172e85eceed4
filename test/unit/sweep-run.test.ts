import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeError, UsageError } from '../../toolkit/errors.ts';
import type { Progress } from '../../toolkit/progress.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import { runSweep } from '../../toolkit/sweep/run.ts';
import type { SweepResult } from '../../toolkit/sweep/types.ts';
import { fakeDeps, LOADTEST_OPTS, RECORDED } from '../fixtures/sweep/fakes.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sweep-run-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const base = () => ({
  counts: [1, 2, 3, 4, 5, 6],
  repeat: 3,
  warmup: '5s',
  slo: 'p(95)<250',
  maxReplicas: 8,
  loadtest: LOADTEST_OPTS,
  resultsDir: dir,
});

describe('runSweep over recorded load tests', () => {
  it('scales, warms up, measures, fits and recommends', async () => {
    const deps = fakeDeps({ warmup: '5s' });
    const result = await runSweep(base(), deps, silentProgress);

    // Per count: scale, one warm-up with the warm-up duration, then three measured runs with the real duration.
    const perCount = deps.calls.filter((c) => !c.startsWith('stats')).slice(0, 5);
    expect(perCount).toEqual(['scale 1', 'warmup 1 5s', 'measure 1 20s', 'measure 1 20s', 'measure 1 20s']);
    expect(deps.calls.filter((c) => c.startsWith('scale'))).toEqual([1, 2, 3, 4, 5, 6].map((n) => `scale ${n}`));
    expect(deps.calls.filter((c) => c.startsWith('stats 3')).length).toBeGreaterThanOrEqual(3);

    expect(result.levels.map((l) => l.replicas)).toEqual([1, 2, 3, 4, 5, 6]);
    // Warm-ups are discarded: only the measured runs are kept.
    expect(result.levels[0].runs.map((r) => r.runId)).toEqual(['lt-1-1', 'lt-1-2', 'lt-1-3']);
    const rps1 = RECORDED['1'].slice(1).map((r) => r.rps);
    expect(result.levels[0].throughput.median).toBe([...rps1].sort((a, b) => a - b)[1]);
    expect(result.levels[0].throughput.min).toBe(Math.min(...rps1));

    // Recorded data follow λ=180, σ=0.1, κ=0.04 with a few % noise.
    expect(result.usl?.lambda).toBeGreaterThan(170);
    expect(result.usl?.lambda).toBeLessThan(190);
    expect(result.usl?.peakN).toBeGreaterThan(4);
    expect(result.usl?.peakN).toBeLessThan(5.5);
    expect(result.recommendation.replicas).toBe(4);
    expect(result.efficiency[0]).toEqual({ replicas: 1, efficiency: 1 });

    // Per-replica usage from the stats samples; the untrusted run is flagged with the generator's reasons.
    expect(result.levels[2].usage.map((u) => u.cpuPercent)).toEqual([90, 85, 80]);
    expect(result.levels[4].trusted).toBe(false);
    expect(result.levels[4].untrustedReasons).toContain('k6 used 97% CPU');
    expect(result.levels.filter((l) => !l.trusted).map((l) => l.replicas)).toEqual([5]);

    const written = JSON.parse(readFileSync(join(dir, result.runId, 'sweep.json'), 'utf8')) as SweepResult;
    expect(written.runId).toBe(result.runId);
    expect(written.levels).toHaveLength(6);
    expect(result.runId).toMatch(/^sweep-\d{8}-\d{6}$/);
  });

  it('skips the warm-up when it is 0s and gets by with two counts (no USL fit)', async () => {
    const deps = fakeDeps({ warmup: '0s' });
    const result = await runSweep(
      { ...base(), counts: [1, 2], repeat: 2, warmup: '0s', slo: undefined },
      deps,
      silentProgress,
    );
    expect(deps.calls.some((c) => c.startsWith('warmup'))).toBe(false);
    expect(result.levels.map((l) => l.runs.length)).toEqual([2, 2]);
    expect(result.usl).toBeNull();
    expect(result.uslNote).toMatch(/at least 3 distinct/);
    expect(result.recommendation.replicas).toBe(2);
  });

  it('validates before touching anything', async () => {
    for (const counts of [[], [2, 1], [1, 1], [0, 1], [1, 9]]) {
      const deps = fakeDeps();
      await expect(runSweep({ ...base(), counts }, deps, silentProgress)).rejects.toBeInstanceOf(UsageError);
      expect(deps.calls).toEqual([]);
    }
    const deps = fakeDeps();
    await expect(runSweep({ ...base(), slo: 'p95<3' }, deps, silentProgress)).rejects.toThrow(/--slo/);
    await expect(runSweep({ ...base(), warmup: 'soon' }, deps, silentProgress)).rejects.toThrow(/--warmup/);
    expect(deps.calls).toEqual([]);
    // No run directory either: nothing was recorded for a sweep that never started.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the completed counts when a later one fails', async () => {
    const deps = fakeDeps({ warmup: '5s', failAt: 3 });
    const err = await runSweep(base(), deps, silentProgress).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toMatch(/sweep stopped: replica 3 did not become ready/);
    const [runId] = (err as RuntimeError).hint!.match(/sweep-\d{8}-\d{6}/)!;
    const partial = JSON.parse(readFileSync(join(dir, runId, 'sweep.json'), 'utf8')) as SweepResult;
    expect(partial.levels.map((l) => l.replicas)).toEqual([1, 2]);
    expect(partial.recommendation.replicas).toBe(2);
  });

  it('keeps measuring when Docker stats fail, and says so', async () => {
    const warnings: string[] = [];
    const progress: Progress = { ...silentProgress, warn: (m) => warnings.push(m) };
    const result = await runSweep(
      { ...base(), counts: [1, 2, 3] },
      fakeDeps({ warmup: '5s', statsFail: true }),
      progress,
    );
    expect(result.levels.every((l) => l.usage.length === 0)).toBe(true);
    expect(warnings[0]).toMatch(/replica stats unavailable: stats endpoint gone/);
  });
});
