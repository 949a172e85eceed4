// Proof that the load balancer does what the spec says: requests through the published port reach exactly
// the expected replicas (by their X-Replica header). Bounded in requests and time.
import type { StackSpec } from '../spec/types.ts';
import { sleep } from './wait.ts';

/** A valid /predict body (one Gentoo-like bird). */
export const SAMPLE_PREDICT_BODY = JSON.stringify({
  instances: [
    {
      island: 'Biscoe',
      bill_length_mm: 47.5,
      bill_depth_mm: 15,
      flipper_length_mm: 217,
      body_mass_g: 5200,
      sex: 'male',
    },
  ],
});

export interface TrafficResult {
  ok: boolean;
  seen: string[];
  missing: string[];
  unexpected: string[];
  requests: number;
  lastError?: string;
}

/**
 * Sends rounds of POST /predict until one round hits every expected replica and nothing else. Where one client
 * lands on one replica by design (`ip_hash`, `hash` on a key we cannot vary), one expected replica is enough.
 */
export async function waitTrafficReaches(
  baseUrl: string,
  expected: string[],
  spec: Pick<StackSpec, 'lb'>,
  opts: {
    timeoutMs: number;
    maxRequests?: number;
    /** all: every expected replica answers (the default); only: no other replica answers (draining). */
    require?: 'all' | 'only';
  },
): Promise<TrafficResult> {
  const want = new Set(expected);
  const deadline = Date.now() + opts.timeoutMs;
  const maxRequests = opts.maxRequests ?? 400 + 40 * expected.length;
  const perRound = Math.max(8, 4 * expected.length);
  const hashHeader = hashHeaderName(spec.lb.strategy, spec.lb.hashKey);
  const stickyOnly = spec.lb.strategy === 'ip_hash' || (spec.lb.strategy === 'hash' && !hashHeader);
  const onlyMode = opts.require === 'only';
  let requests = 0;
  let last: TrafficResult = { ok: false, seen: [], missing: expected, unexpected: [], requests: 0 };
  while (Date.now() < deadline && requests < maxRequests) {
    const seen = new Set<string>();
    let lastError: string | undefined;
    for (let i = 0; i < perRound && Date.now() < deadline; i++) {
      requests++;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      // A varying hash key spreads requests as many clients would.
      if (hashHeader) headers[hashHeader] = `probe-${requests}`;
      try {
        const res = await fetch(`${baseUrl}/predict`, {
          method: 'POST',
          headers,
          body: SAMPLE_PREDICT_BODY,
          signal: AbortSignal.timeout(3000),
        });
        await res.body?.cancel();
        const replica = res.headers.get('x-replica');
        // Draining cares about who answers at all (a 503 from a busy replica still counts).
        if (replica && (res.status === 200 || onlyMode)) seen.add(replica);
        if (res.status !== 200) lastError = `HTTP ${res.status}${replica ? ` from ${replica}` : ''}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    const missing = expected.filter((r) => !seen.has(r));
    const unexpected = [...seen].filter((r) => !want.has(r));
    const ok =
      unexpected.length === 0 &&
      (onlyMode || (seen.size > 0 && (stickyOnly || missing.length === 0)) || expected.length === 0);
    last = { ok, seen: [...seen].sort(), missing, unexpected, requests, lastError };
    if (ok) return last;
    await sleep(200);
  }
  return last;
}

/** `hash $http_x_user` → the request header `x-user`; other keys cannot be varied from here. */
export function hashHeaderName(strategy: string, hashKey: string): string | undefined {
  if (strategy !== 'hash') return undefined;
  const m = /^\$http_([a-z0-9_]+)$/i.exec(hashKey.trim());
  return m ? m[1].replace(/_/g, '-').toLowerCase() : undefined;
}
