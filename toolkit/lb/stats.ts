// Per-replica figures from nginx's JSON access log (one line per request, see log_format toolkit_json), the way the
// original proxies' /health reported per-backend totals: requests, errors, average / last / p95 response time, last
// used. Pure: the caller supplies the log lines, the live upstream and the replicas' in-flight gauges.
import type { LbHealth } from '../render/lb-health.ts';

export interface BackendStats {
  replica: number | null;
  address: string;
  /** up/draining/down: in the live upstream; gone: seen in the log only (a replaced or removed replica). */
  state: 'up' | 'draining' | 'down' | 'gone';
  /** In-flight requests on the replica now (its inference_inflight_requests gauge); null when it did not answer. */
  active: number | null;
  /** Attempts nginx sent it (a retried request counts once per replica tried). */
  total: number;
  /** Attempts answered 5xx or failed (connect error, timeout). */
  errors: number;
  avg_ms: number;
  p95_ms: number;
  last_ms: number | null;
  weight: number;
  /** Time of the last attempt, as nginx logged it (ISO 8601, second resolution). */
  last_used: string | null;
}

export interface LbStats {
  project: string;
  strategy: string;
  hash_key?: string;
  /** The window: `--since` as given, or null for everything since the balancer started. */
  since: string | null;
  /** Client requests in the window, those nginx answered 5xx, and those it answered itself (no upstream). */
  requests: number;
  failed: number;
  unrouted: number;
  backends: BackendStats[];
}

export interface AccessLogEntry {
  time: string;
  status: number;
  upstream_addr: string;
  upstream_status: string;
  upstream_response_time: string;
  upstream_http_x_replica: string;
}

/** One access-log line, or undefined for anything else (nginx notices, partial lines). */
export function parseAccessLine(line: string): AccessLogEntry | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const e = JSON.parse(t) as Partial<AccessLogEntry>;
    if (typeof e.status !== 'number' || typeof e.upstream_addr !== 'string') return undefined;
    return {
      time: String(e.time ?? ''),
      status: e.status,
      upstream_addr: e.upstream_addr,
      upstream_status: String(e.upstream_status ?? ''),
      upstream_response_time: String(e.upstream_response_time ?? ''),
      upstream_http_x_replica: String(e.upstream_http_x_replica ?? ''),
    };
  } catch {
    return undefined;
  }
}

/** nginx lists each attempt: ", " between servers of one upstream, " : " between upstreams after a redirect. */
const splitAttempts = (v: string): string[] => (v === '' || v === '-' ? [] : v.split(/\s*[,:]\s+|\s+:\s*/));

interface Acc {
  times: number[];
  total: number;
  errors: number;
  last_ms: number | null;
  last_used: string | null;
  names: Set<string>;
}

export function aggregate(input: {
  project: string;
  since: string | null;
  model: LbHealth | undefined;
  entries: Iterable<AccessLogEntry>;
  inflight: Map<string, number>;
}): LbStats {
  const acc = new Map<string, Acc>();
  let requests = 0;
  let failed = 0;
  let unrouted = 0;
  for (const e of input.entries) {
    requests++;
    if (e.status >= 500) failed++;
    const addrs = splitAttempts(e.upstream_addr);
    if (addrs.length === 0) {
      unrouted++;
      continue;
    }
    const statuses = splitAttempts(e.upstream_status);
    const times = splitAttempts(e.upstream_response_time);
    addrs.forEach((addr, i) => {
      const a = acc.get(addr) ?? { times: [], total: 0, errors: 0, last_ms: null, last_used: null, names: new Set() };
      acc.set(addr, a);
      a.total++;
      const status = Number(statuses[i]);
      if (!Number.isFinite(status) || status >= 500) a.errors++;
      const ms = Number(times[i]) * 1000;
      if (times[i] !== undefined && times[i] !== '-' && Number.isFinite(ms)) {
        a.times.push(ms);
        a.last_ms = ms;
      }
      a.last_used = e.time || a.last_used;
      // Only the last attempt's response carries the answering replica's X-Replica header.
      if (i === addrs.length - 1 && e.upstream_http_x_replica) a.names.add(e.upstream_http_x_replica);
    });
  }

  const live = (input.model?.backends ?? []).filter((b) => b.replica !== null);
  const rows: BackendStats[] = live.map((b) => row(b.address, b.replica, b.state, b.weight, acc.get(b.address)));
  for (const [addr, a] of acc) {
    if (live.some((b) => b.address === addr)) continue;
    rows.push(row(addr, replicaFromNames(a.names, input.project), 'gone', 1, a));
  }
  rows.sort((x, y) => (x.replica ?? 1e9) - (y.replica ?? 1e9) || stateRank(x.state) - stateRank(y.state));
  for (const r of rows) if (r.state !== 'gone') r.active = input.inflight.get(r.address) ?? null;
  return {
    project: input.project,
    strategy: input.model?.strategy ?? 'unknown',
    ...(input.model?.hash_key ? { hash_key: input.model.hash_key } : {}),
    since: input.since,
    requests,
    failed,
    unrouted,
    backends: rows,
  };
}

const stateRank = (s: BackendStats['state']) => ['up', 'draining', 'down', 'gone'].indexOf(s);

function row(
  address: string,
  replica: number | null,
  state: BackendStats['state'],
  weight: number,
  a: Acc | undefined,
): BackendStats {
  const times = a?.times ?? [];
  const sum = times.reduce((s, t) => s + t, 0);
  return {
    replica,
    address,
    state,
    active: null,
    total: a?.total ?? 0,
    errors: a?.errors ?? 0,
    avg_ms: times.length ? round(sum / times.length) : 0,
    p95_ms: round(percentile(times, 0.95)),
    last_ms: a?.last_ms == null ? null : round(a.last_ms),
    weight,
    last_used: a?.last_used ?? null,
  };
}

/** Nearest rank: the smallest value with at least p of the values at or below it (0 for none). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** `<project>-inference-<n>` (the replicas' X-Replica is their container name) → n. */
function replicaFromNames(names: Set<string>, project: string): number | null {
  for (const n of names) {
    const m = new RegExp(`^${project.replace(/[-_]/g, '[-_]')}[-_]inference[-_](\\d+)$`).exec(n);
    if (m) return Number(m[1]);
  }
  return null;
}
