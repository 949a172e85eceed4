// Reads k6's end-of-test summary (the handleSummary JSON). Figures are copied verbatim, never recomputed, so
// req/s and percentiles match what k6 itself printed for the same run.
import type { Latency, ThresholdResult } from './types.ts';

interface K6Metric {
  type?: string;
  values?: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6Summary {
  metrics: Record<string, K6Metric>;
  state?: { testRunDurationMs?: number };
}

export interface SummaryFigures {
  durationSec: number;
  requests: number;
  rps: number;
  latency: Latency;
  errorRate: number;
  droppedIterations: number;
  thresholds: ThresholdResult[];
}

export function isK6Summary(value: unknown): value is K6Summary {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as K6Summary).metrics === 'object' &&
    (value as K6Summary).metrics !== null
  );
}

export function extractSummary(summary: K6Summary): SummaryFigures {
  const m = summary.metrics;
  const dur = m.http_req_duration?.values;
  const stat = (key: string): number => {
    const v = dur?.[key];
    if (typeof v !== 'number') {
      // No requests completed: k6 leaves the trend out. Zero says "nothing measured" without inventing a value.
      return 0;
    }
    return v;
  };
  const thresholds: ThresholdResult[] = [];
  for (const [metric, data] of Object.entries(m)) {
    for (const [expression, t] of Object.entries(data.thresholds ?? {})) {
      thresholds.push({ metric, expression, ok: t.ok });
    }
  }
  thresholds.sort((a, b) => a.metric.localeCompare(b.metric) || a.expression.localeCompare(b.expression));
  return {
    durationSec: (summary.state?.testRunDurationMs ?? 0) / 1000,
    requests: m.http_reqs?.values?.count ?? 0,
    rps: m.http_reqs?.values?.rate ?? 0,
    latency: {
      avg: stat('avg'),
      p50: stat('p(50)'),
      p90: stat('p(90)'),
      p95: stat('p(95)'),
      p99: stat('p(99)'),
      max: stat('max'),
    },
    errorRate: m.http_req_failed?.values?.rate ?? 0,
    droppedIterations: m.dropped_iterations?.values?.count ?? 0,
    thresholds,
  };
}
