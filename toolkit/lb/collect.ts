// Gathers what `lb stats` aggregates: nginx's access log through the Docker logs API (stdout only: the JSON lines,
// flushed first), and each live replica's in-flight gauge from its /metrics on the project network (the host reaches
// container IPs on Linux; the engine polls /ready the same way).
import type { DockerClient } from '../docker.ts';
import { readNginxAccessLog } from '../engine/nginx-access-log.ts';
import { UsageError } from '../errors.ts';
import type { LiveBalancer } from './live.ts';
import { type AccessLogEntry, aggregate, type LbStats, parseAccessLine } from './stats.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `60s`, `5m`, `2h` or a number of seconds → seconds. */
export function parseSince(raw: string): number {
  const m = /^(\d+)\s*([smh]?)$/.exec(raw.trim());
  const sec = m ? Number(m[1]) * UNITS[m[2] || 's'] : Number.NaN;
  if (!Number.isInteger(sec) || sec < 1) {
    throw new UsageError(
      `--since ${JSON.stringify(raw)} is not a duration like 60s, 5m or 1h`,
      'toolkit lb stats --since 60s',
    );
  }
  return sec;
}

export async function accessLog(
  docker: DockerClient,
  containerId: string,
  sinceSec?: number,
): Promise<AccessLogEntry[]> {
  const sinceEpoch = sinceSec === undefined ? 0 : Math.floor(Date.now() / 1000) - sinceSec;
  const entries: AccessLogEntry[] = [];
  for (const line of (await readNginxAccessLog(docker, containerId, sinceEpoch)).split('\n')) {
    const e = parseAccessLine(line);
    // Docker's `since` is whole seconds; nginx's time is too, so the window edge is exact to the second.
    if (e && (sinceSec === undefined || Date.parse(e.time) >= sinceEpoch * 1000)) entries.push(e);
  }
  return entries;
}

/** `inference_inflight_requests` from Prometheus text (summed over label sets), or undefined when absent. */
export function inflightFromMetrics(text: string): number | undefined {
  let found: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^inference_inflight_requests(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) found = (found ?? 0) + Number(m[1]);
  }
  return found;
}

/** address → in-flight requests, for the replicas that answered within the timeout. */
export async function inflightByAddress(addresses: string[], timeoutMs = 2000): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    addresses.map(async (addr) => {
      try {
        const res = await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) return void (await res.body?.cancel());
        const n = inflightFromMetrics(await res.text());
        if (n !== undefined) out.set(addr, n);
      } catch {
        // A replica that does not answer shows active as unknown (null), not as an error of the command.
      }
    }),
  );
  return out;
}

export async function collectStats(
  docker: DockerClient,
  live: LiveBalancer,
  opts: { since?: string } = {},
): Promise<LbStats> {
  const sinceSec = opts.since === undefined ? undefined : parseSince(opts.since);
  const addresses = (live.health?.backends ?? []).filter((b) => b.replica !== null).map((b) => b.address);
  const [entries, inflight] = await Promise.all([
    accessLog(docker, live.containerId, sinceSec),
    inflightByAddress(addresses),
  ]);
  return aggregate({ project: live.project, since: opts.since ?? null, model: live.health, entries, inflight });
}
