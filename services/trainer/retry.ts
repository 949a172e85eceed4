// Bounded retry with capped exponential backoff and jitter, for the trainer's calls to storage and the
// registry: in a fresh stack they start together, so the first calls may find the others still booting.

/** Raised by a step to say "this will not get better by retrying" (a 4xx, a bad artifact...). */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

export interface RetryOptions {
  /** Give up once this much time has passed since the first attempt. */
  timeoutMs: number;
  /** Progress lines ("waiting for ...") go here. */
  log: (line: string) => void;
  maxDelayMs?: number;
}

export async function retry<T>(what: string, opts: RetryOptions, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const maxDelay = opts.maxDelayMs ?? 2000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PermanentError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      const delay = Math.min(maxDelay, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (Date.now() + delay > deadline) {
        throw new Error(`${what}: gave up after ${attempt + 1} attempts in ${opts.timeoutMs} ms: ${reason}`, {
          cause: err,
        });
      }
      if (attempt === 0 || attempt % 5 === 0) opts.log(`${what}: not yet (${reason}); retrying`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
