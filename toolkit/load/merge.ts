// Merging K k6 processes into one result. Each k6 already writes every sample to its CSV time series, so the
// merge works on raw samples: counts add up, rates come from merged counts, and percentiles are taken over the
// union of samples — averaging per-process percentiles would be wrong whenever the slices' latencies differ.
import { METRIC_TYPES, type MetricType } from '../../loadtests/lib/thresholds.ts';
import { splitCsvLine } from './replicas.ts';
import type { K6Summary } from './summary.ts';
import { baseName, evaluateThresholds, type MetricValues, metricType, parseSelector } from './threshold-eval.ts';

/** What the merged result and summary always carry, before any metric a threshold names. */
export const BASE_METRICS = [
  'http_req_duration',
  'http_reqs',
  'http_req_failed',
  'checks',
  'iterations',
  'dropped_iterations',
  'data_sent',
  'data_received',
  'vus',
  'vus_max',
] as const;

/** A growable array of doubles: a long run holds millions of latency samples, too many for a number[]. */
export class Samples {
  private buf = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

/** One k6 process's metrics, aggregated from its CSV. */
export interface GeneratorMetrics {
  /** Its own test run duration (summary state.testRunDurationMs / 1000), for counter rates. */
  durationSec: number;
  trends: Map<string, Samples>;
  rates: Map<string, { passes: number; total: number }>;
  counters: Map<string, number>;
  /** The last value seen. */
  gauges: Map<string, number>;
  /** replica_hits per `replica` tag. */
  replicas: Map<string, number>;
}

/** The base metrics plus every metric (with its tag selector) the thresholds name. */
export function wantedMetrics(thresholds: Record<string, string[]>): string[] {
  return [...new Set<string>([...BASE_METRICS, ...Object.keys(thresholds)])];
}

interface Want {
  key: string;
  type: MetricType;
  selector: [string, string][];
}

const NOT_TAGS = new Set(['metric_name', 'timestamp', 'metric_value', 'extra_tags', 'metadata']);

/** Aggregates one k6 CSV (header first) into the wanted metrics. */
export async function readGeneratorCsv(
  lines: AsyncIterable<string> | Iterable<string>,
  wanted: string[],
  durationSec: number,
): Promise<GeneratorMetrics> {
  const g: GeneratorMetrics = {
    durationSec,
    trends: new Map(),
    rates: new Map(),
    counters: new Map(),
    gauges: new Map(),
    replicas: new Map(),
  };
  const byName = new Map<string, Want[]>();
  for (const key of wanted) {
    const w: Want = { key, type: metricType(key), selector: parseSelector(key) };
    byName.set(baseName(key), [...(byName.get(baseName(key)) ?? []), w]);
    if (w.type === 'trend') g.trends.set(key, new Samples());
    else if (w.type === 'rate') g.rates.set(key, { passes: 0, total: 0 });
    else if (w.type === 'counter') g.counters.set(key, 0);
  }
  let col: Map<string, number> | undefined;
  for await (const line of lines) {
    if (line === '') continue;
    if (!col) {
      col = new Map(splitCsvLine(line).map((name, i) => [name, i]));
      for (const need of ['metric_name', 'metric_value', 'extra_tags']) {
        if (!col.has(need)) throw new Error(`k6 CSV: missing column ${need}`);
      }
      continue;
    }
    const name = line.slice(0, line.indexOf(','));
    const wants = byName.get(name);
    if (!wants && name !== 'replica_hits') continue;
    const f = line.includes('"') ? splitCsvLine(line) : line.split(',');
    const value = Number(f[col.get('metric_value')!]);
    let extra: URLSearchParams | undefined;
    const tag = (k: string): string | null => {
      const i = NOT_TAGS.has(k) ? undefined : col!.get(k);
      if (i !== undefined) return f[i];
      extra ??= new URLSearchParams(f[col!.get('extra_tags')!]);
      return extra.get(k);
    };
    if (name === 'replica_hits') {
      const replica = tag('replica') ?? 'none';
      g.replicas.set(replica, (g.replicas.get(replica) ?? 0) + value);
    }
    for (const w of wants ?? []) {
      if (!w.selector.every(([k, v]) => tag(k) === v)) continue;
      if (w.type === 'trend') g.trends.get(w.key)!.push(value);
      else if (w.type === 'counter') g.counters.set(w.key, g.counters.get(w.key)! + value);
      else if (w.type === 'gauge') g.gauges.set(w.key, value);
      else {
        const r = g.rates.get(w.key)!;
        r.total++;
        if (value !== 0) r.passes++;
      }
    }
  }
  if (!col) throw new Error('k6 CSV: empty file');
  return g;
}

/** k6's TrendSink.P: linear interpolation between the two samples around pct·(n−1), on sorted values. */
export function percentile(sorted: Float64Array | number[], pct: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (n === 1) return sorted[0];
  const i = pct * (n - 1);
  const lo = sorted[Math.floor(i)];
  const hi = sorted[Math.ceil(i)];
  return lo + (hi - lo) * (i - Math.floor(i));
}

/** The trend stats the toolkit asks k6 for (--summary-trend-stats), over sorted samples. */
export function trendStats(sorted: Float64Array | number[]): MetricValues {
  const n = sorted.length;
  if (n === 0) return {};
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    avg: sum / n,
    min: sorted[0],
    med: percentile(sorted, 0.5),
    max: sorted[n - 1],
    'p(50)': percentile(sorted, 0.5),
    'p(90)': percentile(sorted, 0.9),
    'p(95)': percentile(sorted, 0.95),
    'p(99)': percentile(sorted, 0.99),
  };
}

/** Sorted union of one trend metric's samples over all generators. */
export function unionSorted(parts: GeneratorMetrics[], key: string): Float64Array {
  const views = parts.map((g) => g.trends.get(key)?.view() ?? new Float64Array());
  const all = new Float64Array(views.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of views) {
    all.set(v, at);
    at += v.length;
  }
  return all.sort();
}

export interface MergedMetrics {
  /** k6's summary shape, so the one-generator extraction reads it unchanged; thresholds hold the merged verdict. */
  summary: K6Summary;
  replicas: Map<string, number>;
}

/** Merges K generators and judges the thresholds once, over the merged values. */
export function mergeGenerators(parts: GeneratorMetrics[], thresholds: Record<string, string[]>): MergedMetrics {
  const keys = wantedMetrics(thresholds);
  const sorted = new Map<string, Float64Array>();
  const metrics: K6Summary['metrics'] = {};
  for (const key of keys) {
    const type = metricType(key);
    let values: MetricValues;
    if (type === 'trend') {
      const s = unionSorted(parts, key);
      sorted.set(key, s);
      values = trendStats(s);
    } else if (type === 'counter') {
      const count = parts.reduce((n, g) => n + (g.counters.get(key) ?? 0), 0);
      // Each k6's rate is its count over its own run time; the processes ran side by side, so rates add.
      const rate = parts.reduce((n, g) => n + (g.durationSec > 0 ? (g.counters.get(key) ?? 0) / g.durationSec : 0), 0);
      values = { count, rate };
    } else if (type === 'rate') {
      const passes = parts.reduce((n, g) => n + (g.rates.get(key)?.passes ?? 0), 0);
      const total = parts.reduce((n, g) => n + (g.rates.get(key)?.total ?? 0), 0);
      values = { rate: total > 0 ? passes / total : 0, passes, fails: total - passes };
    } else {
      // A gauge such as vus: each process reports its own share, so the whole is their sum.
      values = { value: parts.reduce((n, g) => n + (g.gauges.get(key) ?? 0), 0) };
    }
    metrics[key] = { type: METRIC_TYPES[baseName(key)], values };
  }
  for (const t of evaluateThresholds(
    thresholds,
    (m) => metrics[m]?.values,
    (m) => {
      const s = sorted.get(m);
      return s ? (p) => percentile(s, p) : undefined;
    },
  )) {
    const entry = metrics[t.metric];
    entry.thresholds = { ...entry.thresholds, [t.expression]: { ok: t.ok } };
  }
  const replicas = new Map<string, number>();
  for (const g of parts) for (const [r, n] of g.replicas) replicas.set(r, (replicas.get(r) ?? 0) + n);
  const durationMs = Math.max(0, ...parts.map((g) => g.durationSec * 1000));
  return { summary: { metrics, state: { testRunDurationMs: durationMs } }, replicas };
}
