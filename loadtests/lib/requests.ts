// One function per endpoint: send, check, and count which replica answered (the X-Replica header), so the
// toolkit can show how evenly nginx spreads the load. Every response is counted, `none` when the header is
// missing, so the per-replica counts add up to http_reqs.
import { check } from 'k6';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { Counter } from 'k6/metrics';
import type { RunConfig } from './config.ts';
import { sampleInstances } from './penguins.ts';

export const replicaHits = new Counter('replica_hits');

function countReplica(res: RefinedResponse<ResponseType | undefined>): void {
  replicaHits.add(1, { replica: res.headers['X-Replica'] || 'none' });
}

interface PredictBody {
  predictions?: { species?: unknown; probabilities?: unknown }[];
  model?: { name?: unknown; version?: unknown; alias?: unknown };
}

function parse(body: unknown): PredictBody | undefined {
  try {
    return typeof body === 'string' ? (JSON.parse(body) as PredictBody) : undefined;
  } catch {
    return undefined;
  }
}

export function predict(cfg: RunConfig): void {
  const res = http.post(`${cfg.baseUrl}/predict`, JSON.stringify({ instances: sampleInstances(cfg.batch) }), {
    headers: { 'Content-Type': 'application/json' },
    tags: { endpoint: 'predict' },
  });
  countReplica(res);
  const body = parse(res.body);
  check(res, {
    'predict status 200': (r) => r.status === 200,
    'predict one prediction per instance': () =>
      Array.isArray(body?.predictions) &&
      body.predictions.length === cfg.batch &&
      body.predictions.every((p) => typeof p.species === 'string' && typeof p.probabilities === 'object'),
    'predict names its model': () =>
      typeof body?.model?.name === 'string' && body.model.version !== undefined && typeof body.model.alias === 'string',
  });
}

export function health(cfg: RunConfig): void {
  const res = http.get(`${cfg.baseUrl}/health`, { tags: { endpoint: 'health' } });
  countReplica(res);
  check(res, { 'health status 200': (r) => r.status === 200 });
}

export function ready(cfg: RunConfig): void {
  const res = http.get(`${cfg.baseUrl}/ready`, { tags: { endpoint: 'ready' } });
  countReplica(res);
  check(res, { 'ready status 200': (r) => r.status === 200 });
}
