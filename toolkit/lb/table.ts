// Readable renderings of the lb models (the same data `--json` prints): the load table and the strategy summary.
import type { LbHealth } from '../render/lb-health.ts';
import type { LbStats } from './stats.ts';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1));

export function renderStatsTable(s: LbStats): string {
  const head = `project ${s.project}  strategy ${s.strategy}${s.hash_key ? ` (key ${s.hash_key})` : ''}  window ${
    s.since ? `last ${s.since}` : 'since the balancer started'
  }`;
  const rows = [
    [
      'REPLICA',
      'ADDRESS',
      'STATE',
      'WEIGHT',
      'ACTIVE',
      'TOTAL',
      'SHARE',
      'ERRORS',
      'AVG ms',
      'P95 ms',
      'LAST ms',
      'LAST USED',
    ],
  ];
  const routed = s.backends.reduce((n, b) => n + b.total, 0);
  for (const b of s.backends) {
    rows.push([
      b.replica === null ? '?' : String(b.replica),
      b.address,
      b.state,
      String(b.weight),
      b.active === null ? '-' : String(b.active),
      String(b.total),
      routed ? `${((100 * b.total) / routed).toFixed(1)}%` : '-',
      String(b.errors),
      ms(b.total ? b.avg_ms : null),
      ms(b.total ? b.p95_ms : null),
      ms(b.last_ms),
      b.last_used ?? '-',
    ]);
  }
  const foot = `${s.requests} request(s), ${s.failed} answered 5xx, ${s.unrouted} answered by nginx itself`;
  return `${head}\n${table(rows)}\n${foot}`;
}

export function renderStrategy(h: LbHealth, project: string): string {
  const weights =
    h.strategy === 'weighted' ? `  weights ${h.backends.map((b) => `${b.replica}=${b.weight}`).join(',')}` : '';
  const key = h.hash_key ? `  key ${h.hash_key}` : '';
  return `project ${project}  strategy ${h.strategy}${key}${weights}  (${h.healthy}/${h.backends.length} backends up)`;
}
