// Absolute, scaling and generator checks on a recorded sweep (test/fixtures/sweep/sweep.json), and the gate run
// end to end on recorded data: verdicts, exit codes and every renderer over one report.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Baseline } from '../../toolkit/baseline/store.ts';
import { generatorChecks, scalingChecks, thresholdChecks, thresholdValue } from '../../toolkit/gate/checks.ts';
import { parseGateConfig } from '../../toolkit/gate/config.ts';
import { renderGateJunit, renderGateMarkdown, renderGateTerminal } from '../../toolkit/gate/render.ts';
import { parseGateThreshold, parseScalingRule } from '../../toolkit/gate/rules.ts';
import { runGate } from '../../toolkit/gate/run.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import type { SweepResult } from '../../toolkit/sweep/types.ts';

const sweep = JSON.parse(readFileSync(new URL('../fixtures/sweep/sweep.json', import.meta.url), 'utf8')) as SweepResult;
const level = (n: number) => sweep.levels.find((l) => l.replicas === n)!;

describe('thresholdValue', () => {
  it('takes latency and throughput medians over the repeats, pools failures, sums dropped iterations', () => {
    expect(thresholdValue(level(2), parseGateThreshold('p(95)<300'))).toBe(177.99);
    expect(thresholdValue(level(2), parseGateThreshold('http_reqs: rate>1'))).toBe(302.03);
    expect(thresholdValue(level(1), parseGateThreshold('http_req_failed: rate==0'))).toBeCloseTo(0.002, 12);
    expect(thresholdValue(level(2), parseGateThreshold('http_req_failed: rate==0'))).toBe(0);
    expect(thresholdValue(level(1), parseGateThreshold('dropped_iterations: count==0'))).toBe(0);
  });
});

describe('thresholdChecks', () => {
  it('checks each measured count, or only the named ones', () => {
    const checks = thresholdChecks(sweep, [
      parseGateThreshold('http_req_failed: rate==0'),
      parseGateThreshold('p(95)<200', [2, 3]),
    ]);
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual([
      'http_req_failed: rate==0 at 1 replica(s)',
    ]);
    expect(checks.map((c) => c.name)).toContain('http_req_duration: p(95)<200 at 3 replica(s)');
    expect(checks).toHaveLength(6 + 2);
    expect(checks[0]).toEqual({
      name: 'http_req_failed: rate==0 at 1 replica(s)',
      kind: 'threshold',
      status: 'fail',
      expected: 'rate == 0',
      got: '0.002',
    });
  });

  it('fails a threshold for a count the run did not measure', () => {
    const [c] = thresholdChecks(sweep, [parseGateThreshold('p(95)<200', [9])]);
    expect(c).toMatchObject({ status: 'fail', got: 'not measured' });
  });
});

describe('scalingChecks', () => {
  it('holds efficiency and the recommendation to their rules', () => {
    const checks = scalingChecks(
      sweep,
      ['efficiency(2) >= 0.7', 'efficiency(4) >= 0.7', 'recommended == 4', 'recommended <= 2'].map(parseScalingRule),
    );
    expect(checks.map((c) => [c.name, c.status, c.got])).toEqual([
      ['efficiency(2) >= 0.7', 'pass', '0.831'],
      ['efficiency(4) >= 0.7', 'fail', '0.562'],
      ['recommended == 4', 'pass', '4'],
      ['recommended <= 2', 'fail', '4'],
    ]);
  });
});

describe('generatorChecks', () => {
  it('fails or warns on an untrusted count depending on the mode', () => {
    expect(generatorChecks(sweep, 'fail').find((c) => c.name.includes(' 5 '))?.status).toBe('fail');
    expect(generatorChecks(sweep, 'warn').find((c) => c.name.includes(' 5 '))?.status).toBe('warn');
    expect(generatorChecks(sweep, 'warn').filter((c) => c.status === 'pass')).toHaveLength(5);
  });
});

function config(yaml: string) {
  const { config: c, problems } = parseGateConfig(yaml, 'gate.yaml');
  if (!c) throw new Error(problems.map((p) => `${p.location}: ${p.message}`).join('\n'));
  return c;
}

function baselineAt(n: number, rps: number[]): Baseline {
  return {
    kind: 'toolkit-baseline',
    version: 1,
    savedAt: '2025-01-01T00:00:00Z',
    fromRun: 'base-run',
    load: { ...sweep.load, batch: 1 },
    spec: null,
    machine: null,
    levels: [
      {
        replicas: n,
        samples: rps.map((x, i) => ({ runId: `b${i}`, rps: x, avg: 1, p50: 1, p90: 1, p95: 1, p99: 1, errorRate: 0 })),
      },
    ],
  };
}

const LOAD = {
  scenario: 'predict',
  users: 32,
  duration: '20s',
  batch: 1,
  thresholds: [],
  baseUrl: 'http://127.0.0.1:8000',
};
const RUN = 'run:\n  replicas: [1, 2, 3, 4, 5, 6]\n  users: 32\n  duration: 20s\n';

describe('runGate on a recorded run', () => {
  it('passes when every check holds (exit 0)', async () => {
    const c = config(
      `${RUN}thresholds:\n  - threshold: "p(95)<200"\n    replicas: [2, 3]\nscaling: ["efficiency(2) >= 0.7"]\ngenerator: warn\n`,
    );
    const r = await runGate(
      { config: c, baseline: null, recorded: sweep, load: LOAD, resultsDir: '/nonexistent' },
      null,
      silentProgress,
    );
    expect(r).toMatchObject({ verdict: 'pass', exitCode: 0, runId: 'sweep-fixture' });
    expect(r.levels).toHaveLength(6);
  });

  it('fails (exit 99) on a regression against baseline samples 20 % faster, and renders every output', async () => {
    const c = config(`${RUN}regression:\n  replicas: 3\n  maxRounds: 1\n`);
    const base = baselineAt(3, [470, 460, 480, 465, 475]);
    const r = await runGate(
      { config: c, baseline: base, recorded: sweep, load: LOAD, resultsDir: '/nonexistent' },
      null,
      silentProgress,
    );
    expect(r.verdict).toBe('fail');
    expect(r.exitCode).toBe(99);
    expect(r.regression).toMatchObject({
      mode: 'stored',
      replicas: 3,
      baseline: [470, 460, 480, 465, 475],
      candidate: [375, 390, 360],
    });
    expect(r.regression!.judgement.change).toBeCloseTo(375 / 470 - 1, 10);
    const text = renderGateTerminal(r);
    expect(text).toMatch(/FAIL\s+no throughput regression at 3 replica\(s\) \(stored\)/);
    expect(text).toContain('GATE FAIL');
    expect(renderGateMarkdown(r)).toMatch(/^## ❌ Performance gate: FAIL/);
    const junit = renderGateJunit(r);
    expect(junit.match(/<testcase /g)).toHaveLength(r.checks.length);
    expect(junit).toContain('failures="2"'); // the regression and the untrusted generator at 5 replicas
  });

  it('stays inconclusive on a recorded run it cannot re-measure: exit 0 with a warning, or 99 when configured', async () => {
    const base = baselineAt(3, [380, 372, 368, 385, 360]);
    const warn = config(`${RUN}generator: warn\nregression:\n  replicas: 3\n  maxRegression: 1%\n`);
    const r = await runGate(
      { config: warn, baseline: base, recorded: sweep, load: LOAD, resultsDir: '/x' },
      null,
      silentProgress,
    );
    expect(r.verdict).toBe('inconclusive');
    expect(r.exitCode).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/stayed inconclusive/);
    expect(renderGateJunit(r)).toMatch(/<skipped message="inconclusive: /);
    const strict = config(
      `${RUN}generator: warn\nregression:\n  replicas: 3\n  maxRegression: 1%\n  inconclusive: fail\n`,
    );
    const s = await runGate(
      { config: strict, baseline: base, recorded: sweep, load: LOAD, resultsDir: '/x' },
      null,
      silentProgress,
    );
    expect(s.exitCode).toBe(99);
  });

  it('refuses a baseline without samples at the compared count', async () => {
    const c = config(`${RUN}regression:\n  replicas: 3\n`);
    await expect(
      runGate(
        { config: c, baseline: baselineAt(2, [1, 2, 3]), recorded: sweep, load: LOAD, resultsDir: '/x' },
        null,
        silentProgress,
      ),
    ).rejects.toThrow(/has no samples at 3 replica\(s\); it has 2/);
  });
});
