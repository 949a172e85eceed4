// Deliberate extra CPU work per /predict (SLOWDOWN_PCT), so CI can prove its performance gate catches a
// regression. The work is done in short slices that yield to the event loop: a slowed request stays
// in flight without freezing /ready, /health or the drain, just like a genuinely slow request would.

const SLICE_MS = 2;

function spin(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x + Math.sqrt(x + 1)) % 1e9;
  return x;
}

/** Burns about `ms` of CPU time; `sink` keeps the loop from being optimised away. */
export async function burnCpu(ms: number): Promise<void> {
  let remaining = ms;
  let sink = 0;
  while (remaining > 0) {
    const slice = Math.min(remaining, SLICE_MS);
    sink += spin(slice);
    remaining -= slice;
    if (remaining > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (sink < 0) throw new Error('unreachable');
}

/** Exponentially weighted moving average; the first sample is taken as is. */
export class MovingAverage {
  private value: number | undefined;
  constructor(private readonly alpha: number) {}

  observe(sample: number): number {
    this.value = this.value === undefined ? sample : this.value + this.alpha * (sample - this.value);
    return this.value;
  }
}
