// k6's threshold expressions evaluated by the toolkit, for results merged from several k6 processes: each k6 only
// judged its own slice, so one verdict over the whole load has to be computed again, over merged metric values.
// Parsing and checking stay with loadtests/lib/thresholds.ts (the same code that validated --threshold).
import { checkExpression, METRIC_TYPES, type MetricType } from '../../loadtests/lib/thresholds.ts';
import type { ThresholdResult } from './types.ts';

/** A metric's values in k6's summary shape: trend avg/min/med/max/p(N), rate rate, counter count/rate, gauge value. */
export type MetricValues = Record<string, number>;

export interface ParsedExpression {
  aggregation: string;
  operator: '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';
  value: number;
}

const SPLIT = /^\s*(\S+?)\s*(<=|>=|===|==|!=|<|>)\s*(\S+)\s*$/;

/** `p(95) < 200` → parts; throws the same errors as --threshold validation for anything k6 would reject. */
export function parseExpression(metric: string, expression: string): ParsedExpression {
  checkExpression(metric, expression);
  const m = SPLIT.exec(expression);
  if (!m) throw new Error(`threshold "${expression}": expected <aggregation> <operator> <number>`);
  return { aggregation: m[1], operator: m[2] as ParsedExpression['operator'], value: Number(m[3]) };
}

/** The metric's type, from its name without a tag selector. */
export function metricType(metric: string): MetricType {
  const name = baseName(metric);
  const type = METRIC_TYPES[name];
  if (!type) throw new Error(`no metric named "${name}"`);
  return type;
}

export function baseName(metric: string): string {
  return metric.replace(/\{.*$/, '');
}

/** `http_req_duration{endpoint:predict,status:200}` → [['endpoint','predict'],['status','200']]. */
export function parseSelector(metric: string): [string, string][] {
  const m = /\{(.*)\}$/.exec(metric);
  if (!m) return [];
  return m[1]
    .split(',')
    .filter((p) => p.trim() !== '')
    .map((pair) => {
      const at = pair.indexOf(':');
      if (at < 0) throw new Error(`tag selector "${pair}" in ${metric}: expected key:value`);
      // k6 accepts quoted values ({status:"200"}); the quotes are not part of the tag.
      const unquote = (s: string) => s.trim().replace(/^(["'])(.*)\1$/, '$2');
      return [unquote(pair.slice(0, at)), unquote(pair.slice(at + 1))];
    });
}

/** The value an aggregation reads; `p(95)` is stored under that key like k6 does, other p(N) computed on demand. */
export function aggregate(values: MetricValues, aggregation: string, percentile?: (p: number) => number): number {
  if (aggregation in values) return values[aggregation];
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(aggregation);
  if (p && percentile) return percentile(Number(p[1]) / 100);
  // An empty sink: k6 reads 0 for every aggregation of a metric that saw no samples.
  return 0;
}

export function compare(actual: number, operator: ParsedExpression['operator'], limit: number): boolean {
  switch (operator) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
    case '===':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

export interface EvaluatedThreshold extends ThresholdResult {
  /** The merged value the expression was judged on. */
  actual: number;
}

/**
 * Judges k6-shaped thresholds (`{metric: [expression...]}`) over merged values. `percentiles` answers p(N) for
 * trend metrics whose stored values lack that percentile.
 */
export function evaluateThresholds(
  thresholds: Record<string, string[]>,
  values: (metric: string) => MetricValues | undefined,
  percentiles: (metric: string) => ((p: number) => number) | undefined = () => undefined,
): EvaluatedThreshold[] {
  const out: EvaluatedThreshold[] = [];
  for (const [metric, expressions] of Object.entries(thresholds)) {
    for (const expression of expressions) {
      const e = parseExpression(metric, expression);
      const actual = aggregate(values(metric) ?? {}, e.aggregation, percentiles(metric));
      out.push({ metric, expression: expression.trim(), ok: compare(actual, e.operator, e.value), actual });
    }
  }
  return out;
}
