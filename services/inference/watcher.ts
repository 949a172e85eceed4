// Keeps the served model current: loads name@alias at start (retrying with capped exponential backoff and
// jitter while the registry or storage are down or the alias is unset), then polls the alias and swaps in a
// new version only once it is fully loaded. A failed reload keeps serving the old version.
import { describe, type LoadedModel, loadVersion, resolveAlias } from './loader.ts';
import type { InferenceMetrics } from './metrics.ts';
import type { ObjectReader } from './object-reader.ts';

export interface WatcherLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WatcherOptions {
  registryUrl: string;
  s3: ObjectReader;
  name: string;
  alias: string;
  pollIntervalMs: number;
  metrics: InferenceMetrics;
  log: WatcherLog;
  backoff?: { initialMs: number; maxMs: number };
}

export class ModelWatcher {
  /** The served model. Requests read this once; replacing it is the whole switch. */
  current: LoadedModel | undefined;
  /** Why no model is served yet (meaningful while `current` is undefined). */
  reason = 'model not loaded yet';
  /** Settles when the first model is loaded (never, if the watcher stops before that). */
  readonly firstLoad: Promise<void>;
  private resolveFirstLoad!: () => void;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly opts: WatcherOptions) {
    this.backoff = opts.backoff ?? { initialMs: 250, maxMs: 10_000 };
    this.firstLoad = new Promise((resolve) => {
      this.resolveFirstLoad = resolve;
    });
  }

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    // A pending poll must not keep a drained process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const { registryUrl, s3, name, alias, pollIntervalMs, metrics, log } = this.opts;
    const signal = this.abort.signal;
    try {
      const ref = await resolveAlias(registryUrl, name, alias, signal);
      const cur = this.current?.ref;
      if (!cur || cur.version !== ref.version || cur.sha256 !== ref.sha256) {
        const loaded = await loadVersion(s3, ref, signal);
        if (this.stopped) return;
        this.current = loaded;
        this.resolveFirstLoad();
        metrics.modelLoaded(loaded.label);
        log.info({ model: loaded.label, previous: cur?.version }, `serving ${name}@${alias} version ${ref.version}`);
      }
      this.failures = 0;
      this.schedule(pollIntervalMs);
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      metrics.modelLoadFailed();
      const reason = describe(err);
      if (this.current) {
        log.warn({ err: reason }, `reload of ${name}@${alias} failed; keeping version ${this.current.ref.version}`);
        this.schedule(pollIntervalMs);
      } else {
        this.reason = reason;
        const delay = this.backoffDelay();
        log.warn({ attempt: this.failures, retryInMs: delay }, `model ${name}@${alias} unavailable: ${reason}`);
        this.schedule(delay);
      }
    }
  }

  /** Capped exponential backoff with jitter, so replicas started together do not retry in lockstep. */
  private backoffDelay(): number {
    const { initialMs, maxMs } = this.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(base * (0.5 + Math.random() * 0.5));
  }
}
