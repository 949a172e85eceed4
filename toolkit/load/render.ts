// The readable summary of one load-test result (the --json output is the LoadtestResult itself).
import type { LoadtestResult } from './types.ts';

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;

export function renderResult(r: LoadtestResult): string {
  const load = r.model === 'open' ? `open model, ${r.rate} arrivals/s` : `closed model, ${r.vus} VUs`;
  const l = r.latency;
  const g = r.generator;
  const usage = [
    g.cpuPercent === null ? 'k6 CPU unknown' : `k6 CPU ${g.cpuPercent.toFixed(0)}% of a core`,
    g.hostIdlePercent === null ? 'host idle unknown' : `host idle ${g.hostIdlePercent.toFixed(0)}%`,
  ].join(', ');
  const lines = [
    `${r.scenario}: ${load}, ${r.durationSec.toFixed(1)} s  (run ${r.runId})`,
    `  requests     ${r.requests}  (${r.rps.toFixed(2)} req/s)`,
    `  latency ms   avg ${ms(l.avg)}  p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
    `  error rate   ${pct(r.errorRate)}`,
    `  dropped      ${r.droppedIterations} iterations`,
  ];
  if (r.perReplica.length === 0) lines.push('  replicas     no responses');
  r.perReplica.forEach((p, i) => {
    lines.push(
      `  ${i === 0 ? 'replicas    ' : '            '} ${p.replica.padEnd(24)} ${String(p.requests).padStart(8)}  ${pct(p.share).padStart(7)}`,
    );
  });
  r.thresholds.forEach((t, i) => {
    lines.push(
      `  ${i === 0 ? 'thresholds  ' : '            '} ${t.ok ? 'PASS' : 'FAIL'}  ${t.metric}: ${t.expression}`,
    );
  });
  if (r.generators !== undefined && (r.generators > 1 || r.generatorRuns?.some((g) => g.node))) {
    lines.push(
      `  generators   ${r.generators} k6 ${r.generatorRuns?.some((g) => g.node) ? 'Swarm tasks' : 'processes'}; thresholds judged on their merged samples, not by each k6`,
    );
    for (const run of r.generatorRuns ?? []) {
      const cpu = run.cpuPercent === null ? 'CPU unknown' : `CPU ${run.cpuPercent.toFixed(0)}%`;
      const on = run.node ? `  on ${run.node}` : '';
      lines.push(`               ${run.index}: segment ${run.segment}  ${run.requests} requests  ${cpu}${on}`);
    }
  }
  lines.push(`  generator    ${g.trusted ? 'TRUSTED' : 'UNTRUSTED'} (${usage})`);
  for (const reason of g.reasons) lines.push(`               - ${reason}`);
  lines.push(`  results      ${r.dir}`);
  return lines.join('\n');
}
