// Threshold parsing in k6's own syntax, done before k6 starts so a typo is reported with where it is, not as a
// failed run. Pure: shared by the k6 scripts (THRESHOLDS env) and the toolkit's --threshold validation.

export type MetricType = 'trend' | 'rate' | 'counter' | 'gauge';

/** Built-in k6 metrics plus our own, with the aggregations k6 allows on each type. */
export const METRIC_TYPES: Record<string, MetricType> = {
  http_req_duration: 'trend',
  http_req_blocked: 'trend',
  http_req_connecting: 'trend',
  http_req_tls_handshaking: 'trend',
  http_req_sending: 'trend',
  http_req_waiting: 'trend',
  http_req_receiving: 'trend',
  iteration_duration: 'trend',
  group_duration: 'trend',
  http_req_failed: 'rate',
  checks: 'rate',
  http_reqs: 'counter',
  iterations: 'counter',
  data_sent: 'counter',
  data_received: 'counter',
  dropped_iterations: 'counter',
  replica_hits: 'counter',
  vus: 'gauge',
  vus_max: 'gauge',
};

const AGGREGATIONS: Record<MetricType, string> = {
  trend: 'avg, min, max, med or p(N)',
  rate: 'rate',
  counter: 'count or rate',
  gauge: 'value',
};

/** A bare expression ("p(95)<200") applies to request latency, the metric people gate on most. */
export const DEFAULT_METRIC = 'http_req_duration';

/** What runs when nobody asks for anything else (plain `k6 run` and `toolkit loadtest` alike). */
export const DEFAULT_THRESHOLDS: Record<string, string[]> = {
  http_req_failed: ['rate<0.01'],
  http_req_duration: ['p(95)<500'],
  checks: ['rate>0.99'],
};

export interface Threshold {
  /** Metric name, possibly with a k6 tag selector: `http_req_duration{endpoint:predict}`. */
  metric: string;
  expression: string;
}

export class ThresholdError extends Error {}

const METRIC_PREFIX = /^\s*([A-Za-z_][A-Za-z0-9_]*)(\{[^}]*\})?\s*:\s*(.*)$/;
const EXPRESSION = /^(\s*)([^<>=!\s]*)(\s*)(<=|>=|===|==|!=|<|>)?(\s*)(.*?)\s*$/;

/** `p(95)<200` or `http_req_failed: rate<0.01` or `http_req_duration{endpoint:predict}: p(99)<800`. */
export function parseThreshold(text: string): Threshold {
  const prefixed = METRIC_PREFIX.exec(text);
  const metric = prefixed ? prefixed[1] + (prefixed[2] ?? '') : DEFAULT_METRIC;
  const expression = prefixed ? prefixed[3] : text;
  checkExpression(metric, expression, text);
  return { metric, expression: expression.trim() };
}

/** Checks `aggregation operator value` the way k6 does; the message says which character is wrong. */
export function checkExpression(metric: string, expression: string, original: string = expression): void {
  const name = metric.replace(/\{.*$/, '');
  const type = METRIC_TYPES[name];
  const where = (col: number, reason: string) =>
    new ThresholdError(
      `failed parsing threshold expression "${original}" at character ${col + 1 + original.indexOf(expression)}: ${reason}`,
    );
  if (!type) {
    throw new ThresholdError(
      `threshold "${original}": no metric named "${name}"; known: ${Object.keys(METRIC_TYPES).join(', ')}`,
    );
  }
  const m = EXPRESSION.exec(expression)!;
  const aggStart = m[1].length;
  const agg = m[2];
  if (agg === '') throw where(aggStart, `missing aggregation method; for ${name} use ${AGGREGATIONS[type]}`);
  if (!aggregationAllowed(type, agg)) {
    throw where(aggStart, `aggregation "${agg}" is not valid for ${name} (${type}); use ${AGGREGATIONS[type]}`);
  }
  const opStart = aggStart + agg.length + m[3].length;
  if (!m[4]) throw where(opStart, 'missing operator; use one of <, <=, >, >=, ==, ===, !=');
  const valueStart = opStart + m[4].length + m[5].length;
  if (m[6] === '' || !Number.isFinite(Number(m[6]))) {
    throw where(valueStart, `"${m[6]}" is not a number`);
  }
}

function aggregationAllowed(type: MetricType, agg: string): boolean {
  if (type === 'trend') {
    if (['avg', 'min', 'max', 'med'].includes(agg)) return true;
    const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(agg);
    return p !== null && Number(p[1]) >= 0 && Number(p[1]) <= 100;
  }
  if (type === 'counter') return agg === 'count' || agg === 'rate';
  if (type === 'rate') return agg === 'rate';
  return agg === 'value';
}

/** Groups parsed thresholds into k6's `options.thresholds` shape. */
export function toK6Thresholds(list: Threshold[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of list) out[t.metric] = [...(out[t.metric] ?? []), t.expression];
  return out;
}

/**
 * The THRESHOLDS environment value: a JSON object in k6's shape (`{"http_req_duration":["p(95)<300"]}`) or
 * k6-syntax entries separated by `;` (`p(95)<300; http_req_failed: rate<0.01`). Empty means no thresholds.
 */
export function parseThresholdsEnv(text: string): Record<string, string[]> {
  const s = text.trim();
  if (s === '') return {};
  if (s.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch (e) {
      throw new ThresholdError(`THRESHOLDS is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ThresholdError('THRESHOLDS JSON must be an object: {"metric": ["expression", ...]}');
    }
    const list: Threshold[] = [];
    for (const [metric, exprs] of Object.entries(parsed as Record<string, unknown>)) {
      if (!Array.isArray(exprs) || exprs.some((e) => typeof e !== 'string')) {
        throw new ThresholdError(`THRESHOLDS["${metric}"] must be an array of strings`);
      }
      for (const e of exprs as string[]) {
        checkExpression(metric, e);
        list.push({ metric, expression: e.trim() });
      }
    }
    return toK6Thresholds(list);
  }
  return toK6Thresholds(
    s
      .split(/[;\n]/)
      .filter((e) => e.trim() !== '')
      .map(parseThreshold),
  );
}
