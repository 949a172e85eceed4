// handleSummary for every scenario: the full summary JSON goes to SUMMARY_FILE (the toolkit reads it; req/s and
// percentiles are taken from it verbatim) and a short text summary goes to stdout. Written here rather than
// imported from jslib.k6.io because load tests must not reach the internet.

interface MetricSummary {
  type: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryData {
  metrics: Record<string, MetricSummary>;
  state: { testRunDurationMs: number };
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '-' : n.toFixed(digits));

export function textSummary(data: SummaryData): string {
  const m = data.metrics;
  const lat = m.http_req_duration?.values ?? {};
  const reqs = m.http_reqs?.values ?? {};
  const lines = [
    '',
    `  duration ........: ${fmt(data.state.testRunDurationMs / 1000, 1)} s`,
    `  requests ........: ${reqs.count ?? 0} (${fmt(reqs.rate)} req/s)`,
    `  latency ms ......: avg=${fmt(lat.avg)} p50=${fmt(lat['p(50)'])} p90=${fmt(lat['p(90)'])} p95=${fmt(lat['p(95)'])} p99=${fmt(lat['p(99)'])} max=${fmt(lat.max)}`,
    `  failed ..........: ${fmt((m.http_req_failed?.values.rate ?? 0) * 100)} %`,
    `  checks ..........: ${fmt((m.checks?.values.rate ?? 0) * 100)} %`,
    `  dropped iters ...: ${m.dropped_iterations?.values.count ?? 0}`,
  ];
  const verdicts: string[] = [];
  for (const [name, metric] of Object.entries(m)) {
    for (const [expr, t] of Object.entries(metric.thresholds ?? {})) {
      verdicts.push(`  ${t.ok ? 'PASS' : 'FAIL'} ${name}: ${expr}`);
    }
  }
  if (verdicts.length > 0) lines.push('  thresholds:', ...verdicts);
  return `${lines.join('\n')}\n`;
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return {
    [__ENV.SUMMARY_FILE || 'summary.json']: JSON.stringify(data, null, 2),
    stdout: textSummary(data),
  };
}
