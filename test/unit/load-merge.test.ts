// Merging K k6 processes: counts add up, rates come from merged counts, percentiles are those of the union of the
// raw samples (never an average of per-process percentiles), and the one verdict is judged on the merged values.
import { describe, expect, it } from 'vitest';
import { executionSegments } from '../../toolkit/load/k6-args.ts';
import {
  type GeneratorMetrics,
  mergeGenerators,
  percentile,
  readGeneratorCsv,
  wantedMetrics,
} from '../../toolkit/load/merge.ts';
import { extractSummary } from '../../toolkit/load/summary.ts';

const HEADER =
  'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata';

interface Req {
  ms: number;
  failed?: boolean;
  status?: number;
  endpoint?: string;
  replica?: string;
}

/** The rows one k6 request writes to its CSV (the subset the merge reads), as k6 formats them. */
function rows(reqs: Req[], extra: string[] = []): string[] {
  const out = [HEADER];
  for (const r of reqs) {
    const status = r.status ?? (r.failed ? 500 : 200);
    const tags = `${r.failed ? 'false' : 'true'},,POST,http://127.0.0.1:1/predict,HTTP/1.1,predict,,${status},,,http://127.0.0.1:1/predict,endpoint=${r.endpoint ?? 'predict'},`;
    out.push(`http_reqs,1,1.000000,,,,${tags}`);
    out.push(`http_req_duration,1,${r.ms.toFixed(6)},,,,${tags}`);
    out.push(`http_req_failed,1,${r.failed ? '1.000000' : '0.000000'},,,,${tags}`);
    out.push(`replica_hits,1,1.000000,,,,,,,,,predict,,,,,,replica=${r.replica ?? 'inference-1'},`);
  }
  return [...out, ...extra];
}

const range = (n: number, f: (i: number) => Req): Req[] => Array.from({ length: n }, (_, i) => f(i));

async function generator(reqs: Req[], thresholds: Record<string, string[]>, durationSec = 10, extra: string[] = []) {
  return readGeneratorCsv(rows(reqs, extra), wantedMetrics(thresholds), durationSec);
}

/** An independent p(N): plain sort of a number[] and k6's interpolation, to check the merge against. */
function naiveP(values: number[], pct: number): number {
  const s = [...values].sort((a, b) => a - b);
  const i = pct * (s.length - 1);
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
}

describe('percentile', () => {
  it("interpolates like k6's TrendSink.P", () => {
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(25);
    expect(percentile([10, 20, 30, 40], 0.95)).toBeCloseTo(38.5, 10);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.95)).toBe(0);
  });
});

describe('mergeGenerators', () => {
  const th = { http_req_duration: ['p(95)<500'] };

  it('takes percentiles over the union of both sample sets, not their average', async () => {
    // Two slices with different latency: a fast one and a slow one, of different sizes.
    const fastMs = range(300, (i) => ({ ms: 1 + (i % 17) * 0.5 }));
    const slowMs = range(100, (i) => ({ ms: 40 + ((i * 7) % 60) }));
    const a = await generator(fastMs, th);
    const b = await generator(slowMs, th);
    const merged = mergeGenerators([a, b], th).summary.metrics.http_req_duration.values!;
    const all = [...fastMs, ...slowMs].map((r) => r.ms);
    for (const [key, pct] of [
      ['p(50)', 0.5],
      ['p(90)', 0.9],
      ['p(95)', 0.95],
      ['p(99)', 0.99],
      ['med', 0.5],
    ] as const) {
      expect(merged[key]).toBeCloseTo(naiveP(all, pct), 9);
    }
    expect(merged.min).toBe(Math.min(...all));
    expect(merged.max).toBe(Math.max(...all));
    expect(merged.avg).toBeCloseTo(all.reduce((x, y) => x + y, 0) / all.length, 9);
    // What averaging would have said is far off: the merge must not do that.
    const averaged =
      (mergeGenerators([a], th).summary.metrics.http_req_duration.values!['p(95)'] +
        mergeGenerators([b], th).summary.metrics.http_req_duration.values!['p(95)']) /
      2;
    expect(Math.abs(merged['p(95)'] - averaged)).toBeGreaterThan(10);
  });

  it('sums counts, adds each process rate, and takes the error rate from merged counts', async () => {
    const a = await generator(
      range(100, (i) => ({ ms: 1, failed: i < 10 })),
      th,
      10,
    );
    const b = await generator(
      range(300, () => ({ ms: 1, replica: 'inference-2' })),
      th,
      12,
    );
    const m = mergeGenerators([a, b], th);
    const f = extractSummary(m.summary);
    expect(f.requests).toBe(400);
    expect(f.rps).toBeCloseTo(100 / 10 + 300 / 12, 10);
    expect(f.errorRate).toBe(10 / 400);
    expect(f.durationSec).toBe(12);
    expect(Object.fromEntries(m.replicas)).toEqual({ 'inference-1': 100, 'inference-2': 300 });
  });

  it('sums dropped iterations and gauges such as vus', async () => {
    const extra = (dropped: number, vus: number) => [
      `dropped_iterations,1,${dropped}.000000,,,,,,,,,predict,,,,,,,`,
      `vus,1,${vus}.000000,,,,,,,,,,,,,,,,`,
    ];
    const t = { vus: ['value<5'] };
    const a = await generator([{ ms: 1 }], t, 10, extra(3, 3));
    const b = await generator([{ ms: 1 }], t, 10, extra(4, 2));
    const m = mergeGenerators([a, b], t);
    expect(extractSummary(m.summary).droppedIterations).toBe(7);
    expect(m.summary.metrics.vus.values).toEqual({ value: 5 });
    // 3 VUs and 2 VUs each pass value<5; the 5 VUs that ran together do not.
    expect(mergeGenerators([a], t).summary.metrics.vus.thresholds).toEqual({ 'value<5': { ok: true } });
    expect(mergeGenerators([b], t).summary.metrics.vus.thresholds).toEqual({ 'value<5': { ok: true } });
    expect(m.summary.metrics.vus.thresholds).toEqual({ 'value<5': { ok: false } });
  });
});

describe('one verdict over the merged samples', () => {
  const verdict = (parts: GeneratorMetrics[], t: Record<string, string[]>) =>
    extractSummary(mergeGenerators(parts, t).summary).thresholds.map((x) => x.ok);

  it('fails merged what passes on each half (a count bound)', async () => {
    const t = { http_reqs: ['count<150'] };
    const a = await generator(
      range(100, () => ({ ms: 1 })),
      t,
    );
    const b = await generator(
      range(100, () => ({ ms: 1 })),
      t,
    );
    expect(verdict([a], t)).toEqual([true]);
    expect(verdict([b], t)).toEqual([true]);
    expect(verdict([a, b], t)).toEqual([false]);
  });

  it('passes merged what fails on each half (a total rate)', async () => {
    const t = { http_reqs: ['rate>15'] };
    const a = await generator(
      range(100, () => ({ ms: 1 })),
      t,
      10,
    );
    const b = await generator(
      range(100, () => ({ ms: 1 })),
      t,
      10,
    );
    expect(verdict([a], t)).toEqual([false]);
    expect(verdict([b], t)).toEqual([false]);
    expect(verdict([a, b], t)).toEqual([true]);
  });

  it('fails a p(95) bound on the union that the averaged p(95) would have passed', async () => {
    const t = { http_req_duration: ['p(95)<600'] };
    const a = await generator(
      range(100, () => ({ ms: 10 })),
      t,
    );
    const b = await generator(
      range(100, () => ({ ms: 1000 })),
      t,
    );
    // (10 + 1000) / 2 = 505 would pass; the union's p(95) is 1000.
    expect(verdict([a, b], t)).toEqual([false]);
  });

  it('judges a tag-selected metric only on the rows that carry the tag', async () => {
    const t = { 'http_req_duration{endpoint:health}': ['max<5'], 'http_req_failed{status:503}': ['rate>0.99'] };
    const a = await generator([{ ms: 900 }, { ms: 2, endpoint: 'health' }, { ms: 1, failed: true, status: 503 }], t);
    const b = await generator([{ ms: 3, endpoint: 'health' }], t);
    const m = mergeGenerators([a, b], t).summary.metrics;
    expect(m['http_req_duration{endpoint:health}'].values?.max).toBe(3);
    expect(m['http_req_duration{endpoint:health}'].thresholds).toEqual({ 'max<5': { ok: true } });
    expect(m['http_req_failed{status:503}'].values).toEqual({ rate: 1, passes: 1, fails: 0 });
  });
});

describe('readGeneratorCsv', () => {
  it('reads quoted fields and refuses a file without k6 columns', async () => {
    const quoted = [
      HEADER,
      'http_req_duration,1,4.500000,,,,true,,GET,"http://127.0.0.1:1/a,b",HTTP/1.1,s,,200,,,"http://127.0.0.1:1/a,b",endpoint=x,',
    ];
    const g = await readGeneratorCsv(quoted, wantedMetrics({}), 1);
    expect([...g.trends.get('http_req_duration')!.view()]).toEqual([4.5]);
    await expect(readGeneratorCsv(['a,b,c', '1,2,3'], wantedMetrics({}), 1)).rejects.toThrow(/missing column/);
    await expect(readGeneratorCsv([], wantedMetrics({}), 1)).rejects.toThrow(/empty/);
  });
});

describe('executionSegments', () => {
  it('cuts 0..1 into K equal slices with the whole sequence', () => {
    expect(executionSegments(1)).toEqual([{ segment: '0:1', sequence: '0,1' }]);
    expect(executionSegments(3)).toEqual([
      { segment: '0:1/3', sequence: '0,1/3,2/3,1' },
      { segment: '1/3:2/3', sequence: '0,1/3,2/3,1' },
      { segment: '2/3:1', sequence: '0,1/3,2/3,1' },
    ]);
  });
});
