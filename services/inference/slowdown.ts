// Deliberate extra CPU work per /predict (SLOWDOWN_PCT), so CI can prove its performance gate catches a
// regression. Both the cost it scales and the work it adds are measured in process CPU time, not wall-clock time:
// on a busy machine a wall-clock spin is descheduled part of the time and injects less CPU than asked, so the
// regression a gate sees would shrink exactly when the machine is noisiest. The work is done in short slices that
// yield to the event loop: a slowed request stays in flight without freezing /ready, /health or the drain, just like
// a genuinely slow request would.

const SLICE_MS = 2;

/** CPU time (user + system) this process has used, in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Spins for `ms` of CPU time; returns the CPU time used, and feeds `sink` so the loop is not optimised away. */
function spin(ms: number, sink: { x: number }): number {
  const start = cpuMs();
  const end = start + ms;
  let now = start;
  // getrusage costs ~1 µs: check it every few hundred iterations, not every one.
  while (now < end) {
    for (let i = 0; i < 500; i++) sink.x = (sink.x + Math.sqrt(sink.x + 1)) % 1e9;
    now = cpuMs();
  }
  return now - start;
}

/**
 * Burns about `ms` of this process's CPU time; returns the CPU time its own slices used — not the span, which
 * would also count the other requests that ran while this one yielded.
 */
export async function burnCpu(ms: number): Promise<number> {
  const sink = { x: 0 };
  let used = 0;
  while (used < ms) {
    used += spin(Math.min(ms - used, SLICE_MS), sink);
    if (used < ms) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (sink.x < 0) throw new Error('unreachable');
  return used;
}

/** Exponentially weighted moving average; the first sample is taken as is. */
export class MovingAverage {
  private value: number | undefined;
  constructor(private readonly alpha: number) {}

  observe(sample: number): number {
    this.value = this.value === undefined ? sample : this.value + this.alpha * (sample - this.value);
    return this.value;
  }

  get current(): number | undefined {
    return this.value;
  }
}

/**
 * What one predicted instance costs the whole process in CPU — HTTP parsing, validation, the model, serialisation,
 * GC — without the injected work: (CPU used − CPU burned) / instances answered, over windows of at least
 * `windowMs`, smoothed. So SLOWDOWN_PCT=p makes each instance cost (1 + p/100)× its real price, and the replica's
 * throughput per CPU-second falls to 1/(1 + p/100) of what it was.
 */
export class CpuCostMeter {
  private readonly perInstance = new MovingAverage(0.2);
  private windowStart = 0;
  private windowStartCpu = 0;
  private started = false;
  private burnedInWindow = 0;
  private instancesInWindow = 0;

  constructor(
    private readonly windowMs = 250,
    private readonly clock: () => number = () => performance.now(),
    private readonly cpu: () => number = cpuMs,
  ) {}

  /** Records `instances` answered and the CPU burned on purpose for them. */
  record(instances: number, burnedMs: number): void {
    if (!this.started) {
      // The first window opens at the first answer: start-up (model load, JIT) is not a request's cost.
      this.started = true;
      this.windowStart = this.clock();
      this.windowStartCpu = this.cpu();
      return;
    }
    this.instancesInWindow += instances;
    this.burnedInWindow += burnedMs;
    const now = this.clock();
    if (now - this.windowStart < this.windowMs) return;
    const cpuNow = this.cpu();
    const real = cpuNow - this.windowStartCpu - this.burnedInWindow;
    if (this.instancesInWindow > 0 && real > 0) this.perInstance.observe(real / this.instancesInWindow);
    this.windowStart = now;
    this.windowStartCpu = cpuNow;
    this.burnedInWindow = 0;
    this.instancesInWindow = 0;
  }

  /** The smoothed CPU ms per instance; undefined until the first window closed. */
  get perInstanceMs(): number | undefined {
    return this.perInstance.current;
  }
}
