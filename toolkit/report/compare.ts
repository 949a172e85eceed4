// `toolkit report --compare a b`: two runs side by side, per replica count, with the change from a to b.
import { fmtMs, fmtPct, fmtRps, textTable } from './format.ts';
import type { ReportLevel, ReportModel } from './model.ts';

interface Side {
  rps: number;
  p95: number;
  errorRate: number;
  trusted: boolean;
}

export interface Comparison {
  a: { runId: string; title: string; recommended: number | null; trusted: boolean };
  b: { runId: string; title: string; recommended: number | null; trusted: boolean };
  rows: Array<{
    replicas: number;
    a: Side | null;
    b: Side | null;
    /** (b − a) / a; null when either side is missing. */
    rpsChange: number | null;
    p95Change: number | null;
  }>;
}

export function compareModels(a: ReportModel, b: ReportModel): Comparison {
  const side = (l: ReportLevel | undefined): Side | null =>
    l ? { rps: l.throughput.median, p95: l.latency.p95, errorRate: l.errorRate, trusted: l.trusted } : null;
  const counts = [...new Set([...a.levels, ...b.levels].map((l) => l.replicas))].sort((x, y) => x - y);
  const change = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined || from === 0 ? null : (to - from) / from;
  const head = (m: ReportModel) => ({
    runId: m.runId,
    title: m.title,
    recommended: m.recommendation?.replicas ?? null,
    trusted: m.trusted,
  });
  return {
    a: head(a),
    b: head(b),
    rows: counts.map((n) => {
      const la = side(a.levels.find((l) => l.replicas === n));
      const lb = side(b.levels.find((l) => l.replicas === n));
      return { replicas: n, a: la, b: lb, rpsChange: change(la?.rps, lb?.rps), p95Change: change(la?.p95, lb?.p95) };
    }),
  };
}

export function renderComparison(c: Comparison): string {
  const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
  const val = (s: Side | null, f: (s: Side) => string) => (s ? `${s.trusted ? '' : '! '}${f(s)}` : '–');
  const rows = c.rows.map((r) => [
    String(r.replicas),
    val(r.a, (s) => fmtRps(s.rps)),
    val(r.b, (s) => fmtRps(s.rps)),
    signed(r.rpsChange),
    val(r.a, (s) => fmtMs(s.p95)),
    val(r.b, (s) => fmtMs(s.p95)),
    signed(r.p95Change),
    val(r.a, (s) => fmtPct(s.errorRate)),
    val(r.b, (s) => fmtPct(s.errorRate)),
  ]);
  const out = [
    `A: ${c.a.title}`,
    `B: ${c.b.title}`,
    '',
    textTable(
      ['replicas', 'A req/s', 'B req/s', 'Δ req/s', 'A p95 ms', 'B p95 ms', 'Δ p95', 'A errors', 'B errors'],
      rows,
      new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ),
    '',
    `recommended replicas: A ${c.a.recommended ?? '–'}, B ${c.b.recommended ?? '–'}`,
  ];
  if (!c.a.trusted || !c.b.trusted) {
    out.push("! marks measurements from a saturated load generator (untrusted); see each run's report");
  }
  return out.join('\n');
}
