// Reading k6's outputs: figures copied verbatim from a recorded summary, per-replica counts from a CSV time
// series (plain and gzipped), and the readable rendering of a result.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderResult } from '../../toolkit/load/render.ts';
import { countReplicas, perReplicaFromCsv, splitCsvLine, toShares } from '../../toolkit/load/replicas.ts';
import { extractSummary, isK6Summary, type K6Summary } from '../../toolkit/load/summary.ts';
import type { LoadtestResult } from '../../toolkit/load/types.ts';

const FIXTURES = new URL('../fixtures/load/', import.meta.url).pathname;
let summary: K6Summary;
let tmp: string;

beforeAll(async () => {
  summary = JSON.parse(await readFile(join(FIXTURES, 'k6-summary.json'), 'utf8'));
  tmp = await mkdtemp(join(tmpdir(), 'load-results-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('extractSummary', () => {
  it('copies k6 figures verbatim from a recorded summary', () => {
    expect(isK6Summary(summary)).toBe(true);
    const f = extractSummary(summary);
    expect(f.requests).toBe(28923);
    expect(f.rps).toBe(4809.127497925657);
    expect(f.durationSec).toBe(6.014188647);
    expect(f.latency).toEqual({
      avg: 0.8848447503716784,
      p50: 0.559234,
      p90: 1.670483,
      p95: 2.616796499999999,
      p99: 6.24809869999998,
      max: 41.989422,
    });
    expect(f.errorRate).toBe(0);
    expect(f.droppedIterations).toBe(0);
  });

  it('lists every threshold with its verdict, sorted', () => {
    expect(extractSummary(summary).thresholds).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<1', ok: false },
      { metric: 'http_req_failed', expression: 'rate<0.01', ok: true },
    ]);
  });

  it('reports dropped iterations and a run with no completed requests', () => {
    const f = extractSummary({
      metrics: { dropped_iterations: { type: 'counter', values: { count: 12, rate: 2 } } },
      state: { testRunDurationMs: 1000 },
    });
    expect(f).toMatchObject({ requests: 0, rps: 0, droppedIterations: 12, durationSec: 1 });
    expect(f.latency.p95).toBe(0);
  });

  it('rejects what is not a summary', () => {
    expect(isK6Summary({ root_group: {} })).toBe(false);
    expect(isK6Summary(null)).toBe(false);
  });
});

describe('per-replica counts', () => {
  const expected = [
    { replica: 'inference-1', requests: 3, share: 3 / 7 },
    { replica: 'inference-2', requests: 2, share: 2 / 7 },
    { replica: 'inference-10', requests: 1, share: 1 / 7 },
    { replica: 'none', requests: 1, share: 1 / 7 },
  ];

  it('adds replica_hits by replica tag, in natural order', async () => {
    expect(await perReplicaFromCsv(join(FIXTURES, 'timeseries.csv'))).toEqual(expected);
  });

  it('reads the gzipped time series k6 writes', async () => {
    const gz = join(tmp, 'timeseries.csv.gz');
    await writeFile(gz, gzipSync(await readFile(join(FIXTURES, 'timeseries.csv'))));
    const shares = await perReplicaFromCsv(gz);
    expect(shares).toEqual(expected);
    expect(shares.reduce((a, s) => a + s.requests, 0)).toBe(7);
  });

  it('fails cleanly on a missing or corrupt time series', async () => {
    await expect(perReplicaFromCsv(join(tmp, 'missing.csv.gz'))).rejects.toThrow(/ENOENT/);
    const bad = join(tmp, 'bad.csv.gz');
    await writeFile(bad, 'not gzip');
    await expect(perReplicaFromCsv(bad)).rejects.toThrow(/incorrect header check/);
  });

  it('splits quoted CSV fields', () => {
    expect(splitCsvLine('a,"b,c",,"d ""e"""')).toEqual(['a', 'b,c', '', 'd "e"']);
  });

  it('fails on a CSV without the k6 columns', async () => {
    await expect(countReplicas(['a,b,c', '1,2,3'])).rejects.toThrow(/missing expected columns/);
  });

  it('gives zero shares when nothing answered', () => {
    expect(toShares(new Map())).toEqual([]);
  });
});

describe('renderResult', () => {
  const result: LoadtestResult = {
    runId: '20260101-120000-abcd',
    dir: '/x/results/20260101-120000-abcd',
    model: 'open',
    scenario: 'open-model',
    rate: 50,
    durationSec: 10,
    requests: 480,
    rps: 47.9,
    latency: { avg: 3, p50: 2.5, p90: 4, p95: 5.5, p99: 9, max: 30 },
    errorRate: 0.0125,
    droppedIterations: 20,
    perReplica: [
      { replica: 'inference-1', requests: 240, share: 0.5 },
      { replica: 'inference-2', requests: 240, share: 0.5 },
    ],
    thresholds: [{ metric: 'http_req_duration', expression: 'p(95)<5', ok: false }],
    generator: {
      cpuPercent: 80,
      hostIdlePercent: 12,
      trusted: false,
      reasons: ['host CPU idle was 12.0% (< 20%)', '20 dropped iterations'],
    },
  };

  it('shows the figures people ask for, the model, and why a result is untrusted', () => {
    const text = renderResult(result);
    expect(text).toContain('open model, 50 arrivals/s');
    expect(text).toContain('47.90 req/s');
    expect(text).toContain('p50 2.50  p90 4.00  p95 5.50  p99 9.00');
    expect(text).toContain('error rate   1.25%');
    expect(text).toContain('dropped      20 iterations');
    expect(text).toMatch(/inference-1\s+240\s+50\.00%/);
    expect(text).toContain('FAIL  http_req_duration: p(95)<5');
    expect(text).toContain('UNTRUSTED (k6 CPU 80% of a core, host idle 12%)');
    expect(text).toContain('- 20 dropped iterations');
  });

  it('says TRUSTED for a clean closed-model run', () => {
    const text = renderResult({
      ...result,
      model: 'closed',
      rate: undefined,
      vus: 5,
      generator: { cpuPercent: 10, hostIdlePercent: 70, trusted: true, reasons: [] },
    });
    expect(text).toContain('closed model, 5 VUs');
    expect(text).toContain('TRUSTED (k6 CPU 10% of a core, host idle 70%)');
    expect(text).not.toContain('UNTRUSTED');
  });
});
