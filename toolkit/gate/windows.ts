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
): Promise<{ baseline: number[]; candidate: number[]; results: LoadtestResult[] }> {
  const read = deps.counters ?? serviceCounters;
  const duration = `${Math.ceil((LEAD_MS + windows * windowMs + 2000) / 1000)}s`;
  let finished = false;
  const runs = Promise.all([
    deps.loadtest({ ...load, duration, baseUrl: urls.baseline, cpus: where?.baseline }),
    deps.loadtest({ ...load, duration, baseUrl: urls.candidate, cpus: where?.candidate }),
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
    const baseline: number[] = [];
    const candidate: number[] = [];
    for (let i = 0; i < windows && !finished; i++) {
      await new Promise((r) => setTimeout(r, windowMs));
      const next = await snap();
      if (finished) break; // k6 ended inside this window: its tail is not full load
      const rate = (a: ServiceCounters, b: ServiceCounters) =>
        (b.predictions - a.predictions) / (b.cpuSeconds - a.cpuSeconds);
      const pb = rate(prev[0], next[0]);
      const pc = rate(prev[1], next[1]);
      if (Number.isFinite(pb) && Number.isFinite(pc) && pb > 0 && pc > 0) {
        baseline.push(pb);
        candidate.push(pc);
      }
      prev = next;
    }
    return { baseline, candidate, results: await runs };
  } catch (err) {
    await runs.catch(() => undefined);
    throw err;
  }
}
