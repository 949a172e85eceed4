// Per-replica figures from nginx's JSON access log: attempts per upstream address (retries included), errors,
// avg/p95/last response time, last used; replicas gone from the upstream; the in-flight gauge from /metrics.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../toolkit/errors.ts';
import { inflightFromMetrics, parseSince } from '../../toolkit/lb/collect.ts';
import { aggregate, parseAccessLine, percentile } from '../../toolkit/lb/stats.ts';
import type { LbHealth } from '../../toolkit/render/lb-health.ts';

const A = '172.18.0.4:8000';
const B = '172.18.0.5:8000';
const line = (o: Record<string, unknown>) =>
  JSON.stringify({
    time: '2026-01-01T10:00:00+00:00',
    status: 200,
    upstream_addr: A,
    upstream_status: '200',
    upstream_response_time: '0.010',
    upstream_http_x_replica: 'p-inference-1',
    ...o,
  });
const model: LbHealth = {
  strategy: 'weighted',
  healthy: 2,
  backends: [
    { replica: 1, address: A, weight: 3, state: 'up' },
    { replica: 2, address: B, weight: 1, state: 'up' },
  ],
  config: 'x',
  source: 'toolkit view at the last render or switch; nginx passive health (max_fails) is not in it',
};

const stats = (lines: string[], inflight = new Map<string, number>()) =>
  aggregate({
    project: 'p',
    since: null,
    model,
    entries: lines.map(parseAccessLine).filter((e) => e !== undefined),
    inflight,
  });

describe('lb stats aggregation', () => {
  it('counts requests, response times and last use per replica', () => {
    const s = stats([
      line({ upstream_response_time: '0.010' }),
      line({ upstream_response_time: '0.030', time: '2026-01-01T10:00:05+00:00' }),
      line({ upstream_addr: B, upstream_response_time: '0.002', upstream_http_x_replica: 'p-inference-2' }),
    ]);
    expect(s).toMatchObject({ strategy: 'weighted', requests: 3, failed: 0, unrouted: 0 });
    expect(s.backends[0]).toMatchObject({
      replica: 1,
      total: 2,
      errors: 0,
      avg_ms: 20,
      p95_ms: 30,
      last_ms: 30,
      weight: 3,
      last_used: '2026-01-01T10:00:05+00:00',
      state: 'up',
    });
    expect(s.backends[1]).toMatchObject({ replica: 2, total: 1, avg_ms: 2, weight: 1 });
  });

  it('splits a retried request over the replicas tried and counts the failed attempt as an error', () => {
    const s = stats([
      line({ upstream_addr: `${B}, ${A}`, upstream_status: '502, 200', upstream_response_time: '0.001, 0.020' }),
      line({ status: 504, upstream_addr: B, upstream_status: '504', upstream_response_time: '30.001' }),
    ]);
    expect(s.backends.map((b) => [b.replica, b.total, b.errors])).toEqual([
      [1, 1, 0],
      [2, 2, 2],
    ]);
    expect(s.failed).toBe(1);
  });

  it('reports requests nginx answered itself, and replicas no longer in the upstream as gone', () => {
    const s = stats([
      line({ status: 413, upstream_addr: '', upstream_status: '', upstream_response_time: '' }),
      line({ upstream_addr: '172.18.0.9:8000', upstream_http_x_replica: 'p-inference-3' }),
      'nginx: [warn] something on stdout',
    ]);
    expect(s.unrouted).toBe(1);
    expect(s.requests).toBe(2);
    expect(s.backends.at(-1)).toMatchObject({ replica: 3, address: '172.18.0.9:8000', state: 'gone', total: 1 });
    expect(s.backends.at(-1)!.active).toBeNull();
  });

  it('takes active from the replicas in-flight gauge, unknown (null) when a replica did not answer', () => {
    const s = stats([], new Map([[A, 4]]));
    expect(s.backends.map((b) => b.active)).toEqual([4, null]);
    expect(s.backends.map((b) => [b.total, b.avg_ms, b.p95_ms, b.last_ms, b.last_used])).toEqual([
      [0, 0, 0, null, null],
      [0, 0, 0, null, null],
    ]);
  });

  it('reads the in-flight gauge from Prometheus text', () => {
    const text = [
      '# HELP inference_inflight_requests Predictions being computed right now',
      '# TYPE inference_inflight_requests gauge',
      'inference_inflight_requests{replica="p-inference-1"} 7',
      'inference_inflight_requests_other 99',
    ].join('\n');
    expect(inflightFromMetrics(text)).toBe(7);
    expect(inflightFromMetrics('http_requests_total 3\n')).toBeUndefined();
  });

  it('uses nearest-rank percentiles', () => {
    expect(percentile([], 0.95)).toBe(0);
    expect(percentile([5, 1, 3], 0.95)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
  });

  it.each([
    ['60s', 60],
    ['5m', 300],
    ['1h', 3600],
    ['90', 90],
  ])('reads --since %s as %i seconds', (raw, sec) => {
    expect(parseSince(raw)).toBe(sec);
  });

  it.each(['0s', '-5s', '1d', 'soon', ''])('refuses --since %j with a usage error', (raw) => {
    expect(() => parseSince(raw)).toThrow(UsageError);
  });
});
