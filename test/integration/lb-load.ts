// A bounded closed-loop load generator for the lb tests and bench/lb.ts: `concurrency` workers send POST /predict
// over kept-alive connections (as k6 and most clients do) until stopped, `maxRequests` is reached or `maxMs` passes.
// Counts every outcome, so "0 failed" is measured, not assumed.
import { SAMPLE_PREDICT_BODY } from '../../toolkit/engine/traffic.ts';

export interface LoadResult {
  requests: number;
  ok: number;
  /** Non-200 answers and network errors, with a sample of what they were. */
  failed: number;
  failures: string[];
  byReplica: Record<string, number>;
  elapsedMs: number;
}

export interface RunningLoad {
  stop(): Promise<LoadResult>;
  /** Requests finished so far. */
  readonly done: number;
}

export function startLoad(
  baseUrl: string,
  opts: { concurrency: number; maxRequests: number; maxMs: number; headers?: (i: number) => Record<string, string> },
): RunningLoad {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error(`load goes to 127.0.0.1 only, not ${baseUrl}`);
  const started = Date.now();
  const deadline = started + opts.maxMs;
  const result: LoadResult = { requests: 0, ok: 0, failed: 0, failures: [], byReplica: {}, elapsedMs: 0 };
  let stopped = false;
  const fail = (why: string) => {
    result.failed++;
    if (result.failures.length < 20) result.failures.push(why);
  };
  const worker = async () => {
    while (!stopped && Date.now() < deadline && result.requests < opts.maxRequests) {
      const i = result.requests++;
      try {
        const res = await fetch(`${baseUrl}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...opts.headers?.(i) },
          body: SAMPLE_PREDICT_BODY,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        const replica = res.headers.get('x-replica') ?? 'none';
        result.byReplica[replica] = (result.byReplica[replica] ?? 0) + 1;
        if (res.status === 200) result.ok++;
        else fail(`HTTP ${res.status} from ${replica}`);
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        fail(`${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
      }
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  return {
    get done() {
      return result.ok + result.failed;
    },
    async stop() {
      stopped = true;
      await Promise.all(workers);
      result.elapsedMs = Date.now() - started;
      return result;
    },
  };
}
