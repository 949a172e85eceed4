// Hand-rendered SVG charts for the HTML report. Written by hand rather than inlining a chart library because the
// charts are three small plots over a handful of points: static SVG opens offline with no script at all, renders
// the same in every browser, and can be checked in unit tests as plain markup.

export interface Point {
  x: number;
  y: number;
  /** Error bar (e.g. slowest and fastest repeat). */
  lo?: number;
  hi?: number;
  /** Drawn hollow with a warning ring: the measurement is not trusted. */
  flagged?: boolean;
}

export interface Series {
  name: string;
  color: string;
  kind: 'line' | 'dashed' | 'points';
  points: Point[];
  /** Marks on a line's data points (points series always have them; a sampled curve has none). */
  markers?: boolean;
}

export interface XYChart {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal reference lines, e.g. a latency objective. */
  hlines?: Array<{ y: number; label: string; color: string }>;
  /** Marks a vertical position, e.g. the recommended count. */
  vline?: { x: number; label: string };
}

const W = 640;
const H = 320;
const M = { l: 64, r: 20, t: 16, b: 48 };
const PW = W - M.l - M.r;
const PH = H - M.t - M.b;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round step (1, 2, 2.5 or 5 × 10^k) giving about `count` ticks over [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const fmtTick = (v: number) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : String(v));

export function xyChart(c: XYChart): string {
  const all = c.series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const xMin = Math.min(...xs, 1);
  const xMaxRaw = Math.max(...xs, c.vline?.x ?? 0);
  const xMax = xMaxRaw > xMin ? xMaxRaw : xMin + 1;
  const yTop = Math.max(...all.map((p) => Math.max(p.y, p.hi ?? 0)), ...(c.hlines ?? []).map((h) => h.y));
  const yTicks = niceTicks(yTop * 1.05);
  const yMax = yTicks[yTicks.length - 1];
  const sx = (x: number) => M.l + ((x - xMin) / (xMax - xMin)) * PW;
  const sy = (y: number) => M.t + PH - (y / yMax) * PH;
  const xTicks = integerTicks(xMin, xMax);

  const parts: string[] = [];
  for (const t of yTicks) {
    parts.push(`<line class="grid" x1="${M.l}" x2="${M.l + PW}" y1="${r(sy(t))}" y2="${r(sy(t))}"/>`);
    parts.push(`<text class="tick" x="${M.l - 6}" y="${r(sy(t)) + 4}" text-anchor="end">${fmtTick(t)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<text class="tick" x="${r(sx(t))}" y="${M.t + PH + 18}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.l}" x2="${M.l + PW}" y1="${M.t + PH}" y2="${M.t + PH}"/>`);
  parts.push(`<line class="axis" x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${M.t + PH}"/>`);
  for (const h of c.hlines ?? []) {
    const y = r(sy(h.y));
    parts.push(`<line x1="${M.l}" x2="${M.l + PW}" y1="${y}" y2="${y}" stroke="${h.color}" stroke-dasharray="2 4"/>`);
    parts.push(
      `<text class="note" x="${M.l + PW - 4}" y="${y - 4}" text-anchor="end" fill="${h.color}">${escapeXml(h.label)}</text>`,
    );
  }
  if (c.vline) {
    const x = r(sx(c.vline.x));
    parts.push(`<line class="vline" x1="${x}" x2="${x}" y1="${M.t}" y2="${M.t + PH}"/>`);
    parts.push(`<text class="note" x="${x + 4}" y="${M.t + 12}">${escapeXml(c.vline.label)}</text>`);
  }
  // Measured points last, so curves never hide them.
  for (const s of [...c.series].sort((a, b) => Number(a.kind === 'points') - Number(b.kind === 'points'))) {
    parts.push(seriesMarkup(s, sx, sy));
  }
  parts.push(`<text class="label" x="${M.l + PW / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(c.xLabel)}</text>`);
  parts.push(
    `<text class="label" transform="translate(14 ${M.t + PH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(c.yLabel)}</text>`,
  );
  return figure(
    c.id,
    c.title,
    parts,
    c.series.map((s) => ({ name: s.name, color: s.color, kind: s.kind })),
  );
}

function seriesMarkup(s: Series, sx: (x: number) => number, sy: (y: number) => number): string {
  const out: string[] = [`<g class="series" data-series="${escapeXml(s.name)}">`];
  if (s.kind !== 'points' && s.points.length > 1) {
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(sx(p.x))},${r(sy(p.y))}`).join(' ');
    const dash = s.kind === 'dashed' ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
  }
  if (s.kind === 'points' || s.markers) {
    for (const p of s.points) {
      const x = r(sx(p.x));
      if (p.lo !== undefined && p.hi !== undefined) {
        const [y1, y2] = [r(sy(p.lo)), r(sy(p.hi))];
        out.push(
          `<path class="whisker" d="M${x},${y1} L${x},${y2} M${x - 5},${y1} L${x + 5},${y1} M${x - 5},${y2} L${x + 5},${y2}" stroke="${s.color}"/>`,
        );
      }
      const fill = p.flagged ? 'white' : s.color;
      out.push(`<circle cx="${x}" cy="${r(sy(p.y))}" r="4.5" fill="${fill}" stroke="${s.color}" stroke-width="2"/>`);
      if (p.flagged) out.push(`<circle class="flag" cx="${x}" cy="${r(sy(p.y))}" r="9"/>`);
    }
  }
  out.push('</g>');
  return out.join('');
}

export interface BarGroup {
  label: string;
  bars: Array<{ label: string; value: number }>;
  /** Reference value drawn across the group, e.g. the even share 1/N. */
  reference?: number;
  flagged?: boolean;
}

/** Grouped bars, one group per x label; values are fractions shown as percentages. */
export function shareBars(c: {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  groups: BarGroup[];
}): string {
  const yTicks = niceTicks(Math.max(...c.groups.flatMap((g) => g.bars.map((b) => b.value)), 0.01) * 100);
  const yMax = yTicks[yTicks.length - 1] / 100;
  const sy = (v: number) => M.t + PH - (v / yMax) * PH;
  const gw = PW / Math.max(1, c.groups.length);
  const parts: string[] = [];
  for (const t of yTicks) {
    parts.push(`<line class="grid" x1="${M.l}" x2="${M.l + PW}" y1="${r(sy(t / 100))}" y2="${r(sy(t / 100))}"/>`);
    parts.push(`<text class="tick" x="${M.l - 6}" y="${r(sy(t / 100)) + 4}" text-anchor="end">${t}%</text>`);
  }
  c.groups.forEach((g, gi) => {
    const x0 = M.l + gi * gw + gw * 0.12;
    const bw = (gw * 0.76) / Math.max(1, g.bars.length);
    parts.push(`<g class="group" data-group="${escapeXml(g.label)}">`);
    g.bars.forEach((b, bi) => {
      const y = r(sy(b.value));
      parts.push(
        `<rect class="bar" x="${r(x0 + bi * bw)}" y="${y}" width="${r(Math.max(1, bw - 2))}" height="${r(M.t + PH - y)}" fill="${PALETTE[bi % PALETTE.length]}"><title>${escapeXml(`${b.label}: ${(b.value * 100).toFixed(1)}%`)}</title></rect>`,
      );
    });
    if (g.reference !== undefined) {
      const y = r(sy(g.reference));
      parts.push(`<line class="reference" x1="${r(x0)}" x2="${r(x0 + gw * 0.76)}" y1="${y}" y2="${y}"/>`);
    }
    const label = `${g.label}${g.flagged ? ' ⚠' : ''}`;
    parts.push(
      `<text class="tick" x="${r(M.l + gi * gw + gw / 2)}" y="${M.t + PH + 18}" text-anchor="middle">${escapeXml(label)}</text></g>`,
    );
  });
  parts.push(`<line class="axis" x1="${M.l}" x2="${M.l + PW}" y1="${M.t + PH}" y2="${M.t + PH}"/>`);
  parts.push(`<text class="label" x="${M.l + PW / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(c.xLabel)}</text>`);
  parts.push(
    `<text class="label" transform="translate(14 ${M.t + PH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(c.yLabel)}</text>`,
  );
  return figure(c.id, c.title, parts, [{ name: 'even share (1/N)', color: '#444', kind: 'dashed' }]);
}

export const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#dc2626', '#ca8a04', '#4b5563'];

function figure(id: string, title: string, parts: string[], legend: Array<Pick<Series, 'name' | 'color' | 'kind'>>) {
  const items = legend
    .map(
      (l) =>
        `<li><span class="swatch ${l.kind}" style="border-color:${l.color};background:${l.kind === 'points' ? l.color : 'transparent'}"></span>${escapeXml(l.name)}</li>`,
    )
    .join('');
  return (
    `<figure class="chart" id="${escapeXml(id)}"><figcaption>${escapeXml(title)}</figcaption><ul class="legend">${items}</ul>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">${parts.join('')}</svg></figure>`
  );
}

function integerTicks(min: number, max: number): number[] {
  const lo = Math.ceil(min);
  const hi = Math.floor(max);
  const step = Math.max(1, Math.ceil((hi - lo + 1) / 12));
  const ticks: number[] = [];
  for (let t = lo; t <= hi; t += step) ticks.push(t);
  return ticks;
}

const r = (v: number) => Math.round(v * 10) / 10;
