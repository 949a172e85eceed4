// Paired samples from one long simultaneous run: both services are loaded at once for the whole round, and their
// /metrics are read at the same moments every `window`; each window gives one pair of requests-per-CPU-second
// values. One k6 start per side per round instead of one per sample, and the pairs share every second of machine
// noise, which is what makes a 10 % change visible on a machine whose load swings by 50 %.
import type { LoadtestOptions, LoadtestResult } from '../load/types.ts';
import { type ServiceCounters, serviceCounters } from './cpu.ts';
import type { RoundPlacement } from './placement.ts';

export interface WindowDeps {
  loadtest(opts: LoadtestOptions): Promise<LoadtestResult>;
  counters?(baseUrl: string): Promise<ServiceCounters>;
}

/** Longest wait for both k6 processes to start sending before the first window. */
const LEAD_MS = 3000;

export async function windowedPairs(
  urls: { baseline: string; candidate: string },
  load: LoadtestOptions,
  windows: number,
  windowMs: number,
  deps: WindowDeps,
  /** Each side's k6 pinned to its service's CPUs (the services are pinned by the caller). */
  where?: RoundPlacement,
  /**
   * Swaps the services' CPUs before every window instead (k = 1, 2, …: the halves alternate), with both k6 left
   * unpinned; each sample is then the geometric mean of two windows, one per placement, so a slow spell of one CPU
   * that lasts longer than a window lands on both sides.
   */
  swap?: (k: number) => Promise<RoundPlacement | undefined>,
): Promise<{ baseline: number[]; candidate: number[]; results: LoadtestResult[] }> {
  const read = deps.counters ?? serviceCounters;
  const duration = `${Math.ceil((LEAD_MS + windows * windowMs + 2000) / 1000)}s`;
  let finished = false;
  const pin = swap ? undefined : where;
  if (swap) await swap(1);
  const runs = Promise.all([
    deps.loadtest({ ...load, duration, baseUrl: urls.baseline, cpus: pin?.baseline }),
    deps.loadtest({ ...load, duration, baseUrl: urls.candidate, cpus: pin?.candidate }),
  ]).finally(() => {
    finished = true;
  });
  const snap = () => Promise.all([read(urls.baseline), read(urls.candidate)]);
  try {
    // Wait until both sides are under load, so no window includes a k6 start.
    const start = await snap();
    const t0 = Date.now();
    let prev = start;
    while (Date.now() - t0 < LEAD_MS) {
      await new Promise((r) => setTimeout(r, 250));
      prev = await snap();
      if (prev[0].predictions > start[0].predictions && prev[1].predictions > start[1].predictions) break;
    }
    // Per placement parity (always 0 without swapping).
    const baseline: number[][] = [[], []];
    const candidate: number[][] = [[], []];
    for (let i = 0; i < windows && !finished; i++) {
      await new Promise((r) => setTimeout(r, windowMs));
      const next = await snap();
      if (finished) break; // k6 ended inside this window: its tail is not full load
      const rate = (a: ServiceCounters, b: ServiceCounters) =>
        (b.predictions - a.predictions) / (b.cpuSeconds - a.cpuSeconds);
      const pb = rate(prev[0], next[0]);
      const pc = rate(prev[1], next[1]);
      const parity = swap ? i % 2 : 0;
      if (Number.isFinite(pb) && Number.isFinite(pc) && pb > 0 && pc > 0) {
        baseline[parity].push(pb);
        candidate[parity].push(pc);
      }
      if (swap && i + 1 < windows) {
        await swap(i + 2);
        prev = await snap(); // the next window starts after the move
      } else prev = next;
    }
    if (!swap) return { baseline: baseline[0], candidate: candidate[0], results: await runs };
    const n = Math.min(baseline[0].length, baseline[1].length);
    const geo = (xs: number[][]) => Array.from({ length: n }, (_, j) => Math.sqrt(xs[0][j] * xs[1][j]));
    return { baseline: geo(baseline), candidate: geo(candidate), results: await runs };
  } catch (err) {
    await runs.catch(() => undefined);
    throw err;
  }
}
