// nginx's JSON access log (stdout of the nginx container) as records, for checks that need the balancer's view:
// which replica served a request, how many upstreams it was tried on, whether a request id ran twice.
import type { DockerClient } from '../docker.ts';
import { readNginxAccessLog } from '../engine/nginx-access-log.ts';
import { listProjectContainers } from '../engine/query.ts';

export interface AccessRecord {
  /** Epoch ms the request finished: $msec (ms precision); $time_iso8601 (whole seconds) in older logs. */
  time: number;
  request_id: string;
  method: string;
  uri: string;
  status: number;
  request_time: number;
  /** One entry per upstream tried, in order ("a, b"). */
  upstreams: string[];
  upstreamStatuses: string[];
  /** "-" for an attempt whose connection was never established (so nothing was sent to that upstream). */
  connectTimes: string[];
  replica: string;
}

const split = (v: unknown) =>
  String(v ?? '')
    .split(/\s*[,:]\s*(?=\S)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function parseAccessLine(line: string): AccessRecord | null {
  if (!line.startsWith('{')) return null;
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    return {
      time: typeof j.msec === 'number' ? Math.round(j.msec * 1000) : Date.parse(String(j.time)),
      request_id: String(j.request_id ?? ''),
      method: String(j.method ?? ''),
      uri: String(j.uri ?? ''),
      status: Number(j.status),
      request_time: Number(j.request_time),
      upstreams: String(j.upstream_addr ?? '')
        .split(/\s*[,:]\s+/)
        .filter((s) => s !== '' && s !== '-'),
      upstreamStatuses: split(j.upstream_status),
      connectTimes: String(j.upstream_connect_time ?? '')
        .split(/\s*[,:]\s+/)
        .filter((s) => s !== ''),
      replica: String(j.upstream_http_x_replica ?? ''),
    };
  } catch {
    return null;
  }
}

export async function readAccessLog(docker: DockerClient, project: string, sinceSec = 0): Promise<AccessRecord[]> {
  const nginx = (await listProjectContainers(docker, project, 'nginx')).find((c) => !c.oneoff);
  if (!nginx) return [];
  return (await readNginxAccessLog(docker, nginx.id, sinceSec))
    .split('\n')
    .map(parseAccessLine)
    .filter((r): r is AccessRecord => r !== null);
}

/**
 * A POST executed twice would be one nginx sent to a second upstream after the first one had it: an attempt that
 * established its connection (connect time not "-"), was not the last, and was not answered 503 (our replicas
 * answer 503 only for a request they did not run: no model loaded yet, or at the in-flight cap). Returns the ids
 * of such requests, plus ids logged more than once (a client retry that nginx had in fact received).
 */
export function executedTwice(log: AccessRecord[]): string[] {
  const seen = new Map<string, number>();
  const twice = new Set<string>();
  for (const r of log) {
    if (r.request_id) seen.set(r.request_id, (seen.get(r.request_id) ?? 0) + 1);
    if (r.method !== 'POST') continue;
    const attempts = Math.max(r.upstreams.length, r.connectTimes.length);
    for (let i = 0; i < attempts - 1; i++) {
      const connected = r.connectTimes[i] && r.connectTimes[i] !== '-';
      if (connected && r.upstreamStatuses[i] !== '503') twice.add(r.request_id);
    }
  }
  for (const [id, n] of seen) if (n > 1) twice.add(id);
  return [...twice];
}
