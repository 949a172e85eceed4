// The terminal report: a table people read after a sweep, a small text chart of throughput, the USL coefficients,
// the recommendation and the checks. Plain text only; untrusted counts carry a '!' and a footnote.
import { fmtCpu, fmtMem, fmtMs, fmtNum, fmtPct, fmtRps, fmtSpread, textTable } from './format.ts';
import type { ReportModel } from './model.ts';

const CHART_WIDTH = 40;

export function renderTerminal(m: ReportModel): string {
  const out: string[] = [m.title, m.settings.map((s) => `${s.label}: ${s.value}`).join(' · '), ''];

  const header = [
    'replicas',
    'req/s (min–max)',
    'USL',
    'eff',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'CPU/replica',
    'mem MiB',
  ];
  if (m.slo) header.push(m.slo);
  const rows = m.levels.map((l) => {
    const row = [
      `${l.trusted ? '' : '! '}${l.replicas}`,
      fmtSpread(l.throughput, fmtRps),
      l.predicted === null ? '–' : fmtRps(l.predicted),
      l.efficiency === null ? '–' : l.efficiency.toFixed(2),
      fmtMs(l.latency.p50),
      fmtMs(l.latency.p95),
      fmtMs(l.latency.p99),
      fmtPct(l.errorRate),
      fmtCpu(l),
      fmtMem(l),
    ];
    if (m.slo) row.push(l.sloOk ? 'ok' : 'MISSED');
    return row;
  });
  out.push(textTable(header, rows, new Set([0, 2, 3, 4, 5, 6, 7, 9])), '');

  if (m.levels.length > 1) out.push(throughputChart(m), '');

  if (m.usl) {
    const peak = m.usl.peakN === null ? 'never (κ = 0)' : `N ≈ ${m.usl.peakN.toFixed(1)}`;
    out.push(
      `USL fit: σ=${fmtNum(m.usl.sigma)}  κ=${fmtNum(m.usl.kappa)}  λ=${fmtRps(m.usl.lambda)} req/s  ` +
        `R²=${m.usl.r2.toFixed(3)}  peak throughput at ${peak}`,
    );
  } else if (m.uslNote) {
    out.push(m.uslNote);
  }
  if (m.recommendation) {
    const r = m.recommendation;
    out.push(r.replicas === null ? `Recommendation: none — ${r.reason}` : `Recommendation: ${r.reason}`);
  }

  const failed = m.checks.filter((c) => !c.ok);
  out.push('', `Checks: ${m.checks.length - failed.length} passed, ${failed.length} failed`);
  for (const c of failed) out.push(`  ✗ ${c.name}: expected ${c.expected}, got ${c.got}`);

  if (!m.trusted) {
    out.push('', '! UNTRUSTED measurements — the load generator was saturated, so these numbers measure k6:');
    for (const u of m.untrusted) out.push(`  ! ${u}`);
  }
  return out.join('\n');
}

/** One bar per count: █ up to the median, ─ on to the slowest/fastest repeat, ┊ where the USL puts it. */
function throughputChart(m: ReportModel): string {
  const top = Math.max(...m.levels.map((l) => Math.max(l.throughput.max, l.predicted ?? 0)));
  const col = (x: number) => Math.min(CHART_WIDTH, Math.round((x / top) * CHART_WIDTH));
  const lines = [`throughput (█ median, ─ repeat range${m.usl ? ', ┊ USL' : ''})`];
  for (const l of m.levels) {
    const cells = Array.from({ length: CHART_WIDTH }, () => ' ');
    for (let i = 0; i < col(l.throughput.median); i++) cells[i] = '█';
    for (let i = col(l.throughput.median); i < col(l.throughput.max); i++) cells[i] = '─';
    if (l.predicted !== null) cells[Math.max(0, col(l.predicted) - 1)] = '┊';
    lines.push(`${String(l.replicas).padStart(4)} │${cells.join('')}│ ${fmtRps(l.throughput.median)}`);
  }
  return lines.join('\n');
}
