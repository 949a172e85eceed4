// report.html: one self-contained page (inline CSS and SVG, no script, no network) with the three charts, the
// table, the fit, the recommendation and the checks. The model is embedded as JSON for tools that scrape it.
import { fmtCpu, fmtMem, fmtMs, fmtNum, fmtPct, fmtRps, fmtSpread } from './format.ts';
import type { ReportModel } from './model.ts';
import { escapeXml as esc, PALETTE, type Series, shareBars, xyChart } from './svg.ts';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2937;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
dl.settings{display:flex;flex-wrap:wrap;gap:4px 18px;margin:8px 0;color:#4b5563}dl.settings dt{font-weight:600}dl.settings dd{margin:0 0 0 4px}
dl.settings div{display:flex}
.banner{padding:10px 14px;border-radius:6px;margin:12px 0}
.untrusted-banner{background:#fef2f2;border:1px solid #fca5a5;color:#991b1b}
.recommendation{background:#eff6ff;border:1px solid #93c5fd}.recommendation.none{background:#fffbeb;border-color:#fcd34d}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
figure.chart{margin:0;border:1px solid #e5e7eb;border-radius:6px;padding:8px;min-width:0}
figure.chart svg{width:100%;height:auto;display:block}
figcaption{font-weight:600;margin-bottom:2px}
ul.legend{list-style:none;padding:0;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px;color:#4b5563}
.swatch{display:inline-block;width:16px;height:0;border-top:2px solid;margin:0 5px 3px 0;vertical-align:middle}
.swatch.dashed{border-top-style:dashed}.swatch.points{width:9px;height:9px;border:2px solid;border-radius:50%;margin-bottom:0}
svg .grid{stroke:#eef0f3}svg .axis{stroke:#9ca3af}svg .tick{font-size:11px;fill:#6b7280}svg .label{font-size:12px;fill:#374151}
svg .note{font-size:11px}svg .vline{stroke:#6b7280;stroke-dasharray:3 3}svg .flag{fill:none;stroke:#dc2626;stroke-width:1.5}
svg .reference{stroke:#444;stroke-dasharray:4 3;stroke-width:1.5}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:right}table.levels td,table.checks td:first-child{white-space:nowrap}th{background:#f9fafb}
td:first-child,th:first-child,td.text,th.text{text-align:left}
tr.untrusted td{background:#fef2f2}.badge{font-size:11px;color:#991b1b;border:1px solid #fca5a5;border-radius:8px;padding:0 5px;margin-left:4px}
.ok{color:#15803d}.fail{color:#b91c1c;font-weight:600}
`;

export function renderHtml(m: ReportModel): string {
  const body = [
    `<h1>${esc(m.title)}</h1>`,
    settings(m),
    m.trusted ? '' : untrustedBanner(m),
    recommendation(m),
    `<h2>Charts</h2><div class="charts">${throughputChart(m)}${latencyChart(m)}${distributionChart(m)}</div>`,
    `<h2>Measurements</h2>${levelsTable(m)}`,
    uslSection(m),
    `<h2>Checks</h2>${checksTable(m)}`,
  ].join('\n');
  // `<` escaped so no value can close the script element early.
  const data = JSON.stringify(m).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(m.title)}</title><style>${STYLE}</style></head>
<body>
${body}
<script type="application/json" id="report-data">${data}</script>
</body></html>
`;
}

function settings(m: ReportModel): string {
  const items = m.settings.map((s) => `<div><dt>${esc(s.label)}</dt><dd>${esc(s.value)}</dd></div>`).join('');
  return `<dl class="settings">${items}</dl>`;
}

function untrustedBanner(m: ReportModel): string {
  const items = m.untrusted.map((u) => `<li>${esc(u)}</li>`).join('');
  return `<div class="banner untrusted-banner" role="alert"><strong>⚠ Untrusted measurements.</strong> The load generator was saturated, so these numbers partly measure k6, not the service:<ul>${items}</ul></div>`;
}

function recommendation(m: ReportModel): string {
  const r = m.recommendation;
  if (!r) return m.uslNote ? `<p>${esc(m.uslNote)}</p>` : '';
  return r.replicas === null
    ? `<div class="banner recommendation none"><strong>No recommendation:</strong> ${esc(r.reason)}</div>`
    : `<div class="banner recommendation"><strong>Recommended: ${r.replicas} replica${r.replicas === 1 ? '' : 's'}.</strong> ${esc(r.reason)}</div>`;
}

function throughputChart(m: ReportModel): string {
  const series: Series[] = [
    {
      name: 'measured median (bars: slowest–fastest repeat; ring: untrusted)',
      color: '#2563eb',
      kind: 'points',
      points: m.levels.map((l) => ({
        x: l.replicas,
        y: l.throughput.median,
        lo: l.throughput.min,
        hi: l.throughput.max,
        flagged: !l.trusted,
      })),
    },
  ];
  if (m.curve.length > 0) {
    series.push({ name: 'USL fit', color: '#ea580c', kind: 'line', points: m.curve.map((p) => ({ x: p.n, y: p.x })) });
  }
  if (m.idealPerReplica !== null) {
    const maxN = Math.max(...m.levels.map((l) => l.replicas));
    const ideal = m.idealPerReplica;
    series.push({
      name: 'linear ideal',
      color: '#9ca3af',
      kind: 'dashed',
      points: [1, maxN].map((n) => ({ x: n, y: ideal * n })),
    });
  }
  const rec = m.recommendation?.replicas;
  return xyChart({
    id: 'chart-throughput',
    title: 'Throughput vs replicas',
    xLabel: 'replicas',
    yLabel: 'requests / s',
    series,
    vline: rec ? { x: rec, label: `recommended: ${rec}` } : undefined,
  });
}

function latencyChart(m: ReportModel): string {
  const keys = ['p50', 'p90', 'p95', 'p99'] as const;
  const series: Series[] = keys.map((k, i) => ({
    name: k,
    color: PALETTE[i],
    kind: m.levels.length > 1 ? 'line' : 'points',
    markers: true,
    points: m.levels.map((l) => ({ x: l.replicas, y: l.latency[k], flagged: !l.trusted })),
  }));
  // The p95 spread over repeats is what the objective is judged on, so show it.
  series[2].points = m.levels.map((l) => ({
    x: l.replicas,
    y: l.latency.p95,
    lo: l.runs > 1 ? l.p95.min : undefined,
    hi: l.runs > 1 ? l.p95.max : undefined,
    flagged: !l.trusted,
  }));
  return xyChart({
    id: 'chart-latency',
    title: 'Latency percentiles vs replicas',
    xLabel: 'replicas',
    yLabel: 'milliseconds',
    series,
    hlines: m.sloThresholds.map((t) => ({ y: t.ms, label: `objective ${t.key} < ${t.ms} ms`, color: '#b91c1c' })),
  });
}

function distributionChart(m: ReportModel): string {
  return shareBars({
    id: 'chart-distribution',
    title: 'Requests per replica',
    xLabel: 'replicas in the stack',
    yLabel: 'share of requests',
    groups: m.levels.map((l) => ({
      label: String(l.replicas),
      bars: l.perReplica.map((p) => ({ label: p.replica, value: p.share })),
      reference: l.perReplica.length > 0 ? 1 / l.perReplica.length : undefined,
      flagged: !l.trusted,
    })),
  });
}

function levelsTable(m: ReportModel): string {
  const head = [
    'replicas',
    'req/s (min–max)',
    'USL',
    'efficiency',
    'p50 ms',
    'p90 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'CPU / replica',
    'memory MiB',
  ];
  if (m.slo) head.push(esc(m.slo));
  const rows = m.levels.map((l) => {
    const cells = [
      `${l.replicas}${l.trusted ? '' : `<span class="badge" title="${esc(l.untrustedReasons.join('; '))}">untrusted</span>`}`,
      fmtSpread(l.throughput, fmtRps),
      l.predicted === null ? '–' : fmtRps(l.predicted),
      l.efficiency === null ? '–' : l.efficiency.toFixed(2),
      fmtMs(l.latency.p50),
      fmtMs(l.latency.p90),
      fmtMs(l.latency.p95),
      fmtMs(l.latency.p99),
      fmtPct(l.errorRate),
      fmtCpu(l),
      fmtMem(l),
    ];
    if (m.slo) cells.push(l.sloOk ? '<span class="ok">met</span>' : '<span class="fail">missed</span>');
    return `<tr class="${l.trusted ? '' : 'untrusted'}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="levels"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function uslSection(m: ReportModel): string {
  if (!m.usl) return m.kind === 'sweep' && m.uslNote ? `<h2>Scalability model</h2><p>${esc(m.uslNote)}</p>` : '';
  const u = m.usl;
  const peak =
    u.peakN === null ? 'never: κ = 0, throughput keeps rising towards λ/σ' : `at N ≈ ${u.peakN.toFixed(1)} replicas`;
  return `<h2>Scalability model (Universal Scalability Law)</h2>
<p>X(N) = λN / (1 + σ(N−1) + κN(N−1)) fitted to every measured run:
σ (contention) = <b>${fmtNum(u.sigma)}</b>, κ (coherency) = <b>${fmtNum(u.kappa)}</b>, λ = <b>${fmtRps(u.lambda)}</b> req/s per replica,
R² = ${u.r2.toFixed(3)}; throughput peaks ${esc(peak)}.</p>`;
}

function checksTable(m: ReportModel): string {
  const rows = m.checks
    .map(
      (c) =>
        `<tr><td class="${c.ok ? 'ok' : 'fail'}">${c.ok ? '✓ pass' : '✗ fail'}</td><td class="text">${esc(c.name)}</td><td class="text">${esc(c.expected)}</td><td class="text">${esc(c.got)}</td></tr>`,
    )
    .join('');
  return `<table class="checks"><thead><tr><th>result</th><th class="text">check</th><th class="text">expected</th><th class="text">got</th></tr></thead><tbody>${rows}</tbody></table>`;
}
