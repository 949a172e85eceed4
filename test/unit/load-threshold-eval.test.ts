// The toolkit's evaluator of k6 threshold expressions, used when K k6 processes are merged: every aggregation k6
// allows, every operator, tag selectors, and k6's reading of a metric with no samples.
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  compare,
  evaluateThresholds,
  parseExpression,
  parseSelector,
} from '../../toolkit/load/threshold-eval.ts';

describe('parseExpression', () => {
  it.each([
    ['http_req_duration', 'p(95)<200', { aggregation: 'p(95)', operator: '<', value: 200 }],
    ['http_req_duration', ' p(99.9) <= 1.5 ', { aggregation: 'p(99.9)', operator: '<=', value: 1.5 }],
    ['http_req_duration', 'med>=3', { aggregation: 'med', operator: '>=', value: 3 }],
    ['http_req_failed', 'rate<0.01', { aggregation: 'rate', operator: '<', value: 0.01 }],
    ['http_reqs', 'count===100', { aggregation: 'count', operator: '===', value: 100 }],
    ['vus', 'value!=0', { aggregation: 'value', operator: '!=', value: 0 }],
    ['http_req_duration{endpoint:predict}', 'avg==7', { aggregation: 'avg', operator: '==', value: 7 }],
  ])('%s: %s', (metric, expression, parsed) => {
    expect(parseExpression(metric, expression)).toEqual(parsed);
  });

  it('rejects what k6 rejects, with the shared parser message', () => {
    expect(() => parseExpression('http_req_failed', 'p(95)<1')).toThrow(/not valid for http_req_failed \(rate\)/);
    expect(() => parseExpression('http_req_duration', 'p95<1')).toThrow(/at character 1/);
    expect(() => parseExpression('nope', 'count<1')).toThrow(/no metric named "nope"/);
  });
});

describe('compare', () => {
  it.each([
    [1, '<', 2, true],
    [2, '<', 2, false],
    [2, '<=', 2, true],
    [3, '>', 2, true],
    [2, '>=', 2, true],
    [1, '>=', 2, false],
    [2, '==', 2, true],
    [2, '===', 3, false],
    [2, '!=', 3, true],
    [3, '!=', 3, false],
  ] as const)('%d %s %d is %s', (a, op, b, ok) => {
    expect(compare(a, op, b)).toBe(ok);
  });
});

describe('aggregate', () => {
  it('reads stored values and computes other percentiles on demand', () => {
    const values = { 'p(95)': 10, avg: 3 };
    expect(aggregate(values, 'p(95)')).toBe(10);
    expect(aggregate(values, 'avg')).toBe(3);
    expect(aggregate(values, 'p(97.5)', (p) => p * 100)).toBe(97.5);
  });

  it('reads 0 for a metric that saw no samples, as k6 does', () => {
    expect(aggregate({}, 'p(95)')).toBe(0);
    expect(aggregate({}, 'rate')).toBe(0);
  });
});

describe('parseSelector', () => {
  it('splits k6 tag selectors, quotes and spaces allowed', () => {
    expect(parseSelector('http_req_duration')).toEqual([]);
    expect(parseSelector('http_req_duration{endpoint:predict}')).toEqual([['endpoint', 'predict']]);
    expect(parseSelector('http_reqs{status: "200", url:http://127.0.0.1:8000/x}')).toEqual([
      ['status', '200'],
      ['url', 'http://127.0.0.1:8000/x'],
    ]);
    expect(() => parseSelector('http_reqs{status}')).toThrow(/expected key:value/);
  });
});

describe('evaluateThresholds', () => {
  it('judges every expression of every metric and keeps the value it judged', () => {
    const values: Record<string, Record<string, number>> = {
      http_req_duration: { 'p(95)': 250, avg: 100, min: 1, max: 900, med: 90 },
      http_req_failed: { rate: 0.02 },
      http_reqs: { count: 1000, rate: 50 },
    };
    const out = evaluateThresholds(
      {
        http_req_duration: ['p(95)<300', 'max<500', 'p(99)<1000'],
        http_req_failed: ['rate<0.01'],
        http_reqs: ['count>=1000', 'rate>60'],
        checks: ['rate>0.99'],
      },
      (m) => values[m],
      (m) => (m === 'http_req_duration' ? () => 950 : undefined),
    );
    expect(out.map((t) => [t.metric, t.expression, t.ok, t.actual])).toEqual([
      ['http_req_duration', 'p(95)<300', true, 250],
      ['http_req_duration', 'max<500', false, 900],
      ['http_req_duration', 'p(99)<1000', true, 950],
      ['http_req_failed', 'rate<0.01', false, 0.02],
      ['http_reqs', 'count>=1000', true, 1000],
      ['http_reqs', 'rate>60', false, 50],
      // No checks ran: k6 reads a rate of 0, and so does the merge.
      ['checks', 'rate>0.99', false, 0],
    ]);
  });
});
