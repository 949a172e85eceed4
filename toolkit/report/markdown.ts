// report.md: GitHub-flavoured Markdown that fits a job summary ($GITHUB_STEP_SUMMARY): a recommendation line,
// the table, a mermaid chart of throughput (GitHub renders it; elsewhere it stays readable code) and the checks.
import { fmtCpu, fmtMem, fmtMs, fmtNum, fmtPct, fmtRps, fmtSpread } from './format.ts';
import type { ReportModel } from './model.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(m: ReportModel): string {
  const out: string[] = [`## ${m.title}`, ''];
  out.push(m.settings.map((s) => `**${s.label}:** ${s.value}`).join(' · '), '');

  if (!m.trusted) {
    out.push(
      '> [!WARNING]',
      '> **Untrusted measurements** — the load generator was saturated, so these numbers partly measure k6:',
    );
    for (const u of m.untrusted) out.push(`> - ${u}`);
    out.push('');
  }
  if (m.recommendation) {
    const r = m.recommendation;
    out.push(
      r.replicas === null
        ? `**No recommendation:** ${r.reason}`
        : `**Recommended: ${r.replicas} replica(s).** ${r.reason}`,
      '',
    );
  }

  const head = [
    'replicas',
    'req/s (min–max)',
    'USL',
    'eff.',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'CPU/replica',
    'mem MiB',
  ];
  if (m.slo) head.push(m.slo);
  out.push(`| ${head.map(cell).join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ':--' : '--:')).join('|')}|`);
  for (const l of m.levels) {
    const row = [
      `${l.replicas}${l.trusted ? '' : ' ⚠ untrusted'}`,
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
    if (m.slo) row.push(l.sloOk ? '✅ met' : '❌ missed');
    out.push(`| ${row.map(cell).join(' | ')} |`);
  }
  out.push('');

  if (m.usl) {
    const peak = m.usl.peakN === null ? 'never (κ = 0)' : `N ≈ ${m.usl.peakN.toFixed(1)}`;
    out.push(
      `**USL fit:** σ = ${fmtNum(m.usl.sigma)}, κ = ${fmtNum(m.usl.kappa)}, λ = ${fmtRps(m.usl.lambda)} req/s, ` +
        `R² = ${m.usl.r2.toFixed(3)}; peak throughput at ${peak}.`,
      '',
    );
  } else if (m.uslNote) {
    out.push(`_${m.uslNote}_`, '');
  }

  if (m.levels.length > 1) out.push(...mermaidChart(m), '');

  const failed = m.checks.filter((c) => !c.ok).length;
  out.push(`### Checks: ${m.checks.length - failed} passed, ${failed} failed`, '');
  out.push('| | check | expected | got |', '|:-:|:--|:--|:--|');
  for (const c of m.checks)
    out.push(`| ${c.ok ? '✅' : '❌'} | ${cell(c.name)} | ${cell(c.expected)} | ${cell(c.got)} |`);
  out.push('', '_Charts: report.html next to this file._', '');
  return out.join('\n');
}

function mermaidChart(m: ReportModel): string[] {
  const xs = m.levels.map((l) => l.replicas);
  const measured = m.levels.map((l) => l.throughput.median.toFixed(1));
  const lines = ['```mermaid', 'xychart-beta', '  title "Throughput vs replicas (bars: measured median; line: USL)"'];
  lines.push(`  x-axis "replicas" [${xs.join(', ')}]`, '  y-axis "req/s"', `  bar [${measured.join(', ')}]`);
  if (m.levels.every((l) => l.predicted !== null)) {
    lines.push(`  line [${m.levels.map((l) => (l.predicted as number).toFixed(1)).join(', ')}]`);
  }
  lines.push('```');
  return lines;
}
