// Number formats and plain-text tables shared by the renderers, so every output rounds the same way.
import { median } from '../analyse/stats.ts';
import type { ReportLevel } from './model.ts';

export const fmtRps = (x: number): string => (x >= 1000 ? x.toFixed(0) : x >= 100 ? x.toFixed(1) : x.toFixed(2));
export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
export const fmtPct = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;
export const fmtNum = (x: number, digits = 4): string =>
  x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(digits - 1) : x.toPrecision(digits);

/** Median CPU across replicas with its range, e.g. `97% (93–99)`; '–' without samples. */
export function fmtCpu(l: ReportLevel): string {
  const cpu = l.perReplica.map((p) => p.cpuPercent).filter((c): c is number => c !== null);
  if (cpu.length === 0) return '–';
  const sorted = [...cpu].sort((a, b) => a - b);
  const mid = median(sorted);
  return sorted.length === 1
    ? `${mid.toFixed(0)}%`
    : `${mid.toFixed(0)}% (${sorted[0].toFixed(0)}–${sorted[sorted.length - 1].toFixed(0)})`;
}

/** Highest memory of any replica, MiB. */
export function fmtMem(l: ReportLevel): string {
  const mem = l.perReplica.map((p) => p.memoryMiB).filter((m): m is number => m !== null);
  return mem.length === 0 ? '–' : Math.max(...mem).toFixed(0);
}

export function fmtSpread(s: { median: number; min: number; max: number; n: number }, f: (x: number) => string) {
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

/** Columns padded to their widest cell; `right` lists the numeric columns to right-align. */
export function textTable(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}
