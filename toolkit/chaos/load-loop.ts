// A bounded open-model load loop for chaos and scale checks: GET /health and POST /predict alternately, started on a
// fixed schedule (not when the previous one returns, so a stall shows as latency and failures rather than fewer
// requests), never retried — every failure a client would see is counted. Bounded by duration and request count;
// loopback targets only. Runs in-process, or as a child process (`tsx load-loop.ts '<json options>'`) printing
// its records as JSON, so the measuring process's own work does not delay requests.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SAMPLE_PREDICT_BODY } from '../engine/traffic.ts';

export interface LoadLoopOptions {
  /** e.g. http://127.0.0.1:8000 — loopback only. */
  baseUrl: string;
  /** Requests started per second. */
  rate: number;
  durationMs: number;
  /** Hard cap on requests (default rate × duration). */
  maxRequests?: number;
  /** Requests allowed in flight at once; beyond it a scheduled request is dropped and counted (default 256). */
  maxInflight?: number;
  /** Per-request timeout (default 30 s, nginx's own read timeout). */
  timeoutMs?: number;
}

export interface RequestRecord {
  /** Epoch ms the request was sent. */
  t: number;
  /** Latency in ms. */
  ms: number;
  method: 'GET' | 'POST';
  /** HTTP status, 0 when the request failed without one. */
  status: number;
  /** X-Replica of the replica that answered. */
  replica: string;
  error?: string;
  /** The X-Request-ID sent (a retry sends the same one). */
  id: string;
  /** Sent a second time after the server closed the reused connection before answering. */
  retried?: boolean;
}

export interface LoadLoopResult {
  records: RequestRecord[];
  dropped: number;
}

const now = () => performance.timeOrigin + performance.now();

export function assertLoopback(baseUrl: string): void {
  const host = new URL(baseUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`load loops go to loopback only, not ${host}`);
  }
}

export async function runLoadLoop(opts: LoadLoopOptions, signal?: AbortSignal): Promise<LoadLoopResult> {
  assertLoopback(opts.baseUrl);
  const base = opts.baseUrl.replace(/\/+$/, '');
  const total = Math.min(opts.maxRequests ?? Number.POSITIVE_INFINITY, Math.ceil((opts.rate * opts.durationMs) / 1000));
  const maxInflight = opts.maxInflight ?? 256;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const records: RequestRecord[] = [];
  const pending = new Set<Promise<void>>();
  let dropped = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInflight });
  const url = new URL(base);
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const t0 = now();
  for (let i = 0; i < total && !signal?.aborted; i++) {
    const due = t0 + (i * 1000) / opts.rate;
    const wait = due - now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (pending.size >= maxInflight) {
      dropped++;
      continue;
    }
    const p = one(agent, url, i % 2 === 0 ? 'GET' : 'POST', `${run}-${i}`, timeoutMs).then((r) => {
      records.push(r);
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }
  await Promise.all(pending);
  agent.destroy();
  records.sort((a, b) => a.t - b.t);
  return { records, dropped };
}

/**
 * One request, over a keep-alive pool. Retried once, and only when it went out on a reused connection that the
 * server closed before any response byte (the race every HTTP/1.1 client has with a server closing an idle
 * connection, which nginx's old workers do on a graceful reload): such a request never reached nginx, so it cannot
 * run twice — bench/scale.ts checks that against nginx's access log by request id.
 */
async function one(agent: http.Agent, base: URL, method: 'GET' | 'POST', id: string, timeoutMs: number) {
  const t = now();
  let first = await attempt(agent, base, method, id, timeoutMs);
  let retried = false;
  if (first.staleConnection) {
    retried = true;
    // On a new connection: the pool may hold more sockets the same worker closed.
    first = await attempt(FRESH, base, method, id, timeoutMs);
  }
  const { status, replica, error } = first;
  const rec: RequestRecord = { t, ms: now() - t, method, status, replica, id };
  if (error) rec.error = error;
  if (retried) rec.retried = true;
  return rec;
}

const FRESH = new http.Agent({ keepAlive: false });

interface Attempt {
  status: number;
  replica: string;
  error?: string;
  staleConnection?: boolean;
}

function attempt(agent: http.Agent, base: URL, method: 'GET' | 'POST', id: string, timeoutMs: number) {
  return new Promise<Attempt>((resolve) => {
    const body = method === 'POST' ? SAMPLE_PREDICT_BODY : undefined;
    const headers: http.OutgoingHttpHeaders = { 'x-request-id': id };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    let answered = false;
    const req = http.request(
      { host: base.hostname, port: base.port, path: method === 'GET' ? '/health' : '/predict', method, headers, agent },
      (res) => {
        answered = true;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, replica: String(res.headers['x-replica'] ?? '') }));
        res.on('error', (err) =>
          resolve({ status: 0, replica: '', error: (err as NodeJS.ErrnoException).code ?? err.message }),
        );
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      const stale = !answered && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
      resolve({ status: 0, replica: '', error: code, staleConnection: stale });
    });
    req.end(body);
  });
}

/** A failure as a client sees it: no response, or a 5xx (nginx's 502/504, a replica's 503). */
export const failed = (r: RequestRecord): boolean => r.status === 0 || r.status >= 500;

// As a child process: options as JSON in argv[2], result as JSON on stdout; SIGTERM ends the schedule early.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const abort = new AbortController();
  process.once('SIGTERM', () => abort.abort());
  const result = await runLoadLoop(JSON.parse(process.argv[2] ?? '{}') as LoadLoopOptions, abort.signal);
  process.stdout.write(JSON.stringify(result));
}
