// Injecting a regression of a known size for bench/gate. SLOWDOWN_PCT=p adds p % to the event loop CPU a request
// costs (services/inference/slowdown.ts); what that takes off the gate's metric (all of the process's CPU, GC threads
// included) depends on the setting (the share of a request's CPU that is fixed per wake-up, which the load's shape
// sets; SMT siblings). So a "10 % regression" is
// not a knob value but a measured fact: the knob is tuned until, in the comparisons' own setting and over many more
// windows than a comparison gets, the candidate's requests per CPU-second are r % below the unslowed processes'.
import { median } from '../toolkit/analyse/stats.ts';
import type { RoundPlacement } from '../toolkit/gate/placement.ts';
import { windowedPairs } from '../toolkit/gate/windows.ts';
import type { LoadtestOptions, LoadtestResult } from '../toolkit/load/types.ts';

export interface KnobDeps<S extends { url: string }> {
  /** A fresh pool: unslowed processes and two with SLOWDOWN_PCT=pct (none for pct 0), started together and warmed alike. */
  pool(pct: number): Promise<Pool<S>>;
  stop(list: S[]): Promise<void>;
  loadtest(opts: LoadtestOptions): Promise<LoadtestResult>;
  log(line: string): void;
  /** Pins a pair as the gate's round `round` would (placement.ts); undefined: unpinned. */
  place?(baseline: S, candidate: S, round: number): Promise<RoundPlacement | undefined>;
}

export interface Pool<S> {
  plain: S[];
  slowed: S[];
}

export interface TunedKnob<S> extends Pool<S> {
  slowdownPct: number;
  /** The measured change of requests per CPU-second (−0.1: 10 % fewer). */
  change: number;
}

/** First guess: each instance costs 1/(1 − r) as much. */
export const slowdownPctFor = (r: number) => (100 * r) / (100 - r);

/**
 * A fresh process's warm-up: the JIT takes ~20 s of load to reach its steady cost, and the knob calibrates after 20 s
 * of load over the next 10 s (services/inference/slowdown.ts), so both sides are measured steady.
 */
export const FIRST_WARMUP = '35s';

/** Warm-up in the comparisons' setting (both loaded side by side); `duration` 7 s for processes already warm. */
export async function warmPair<S extends { url: string }>(
  a: S,
  b: S,
  load: LoadtestOptions,
  loadtest: KnobDeps<S>['loadtest'],
  duration = '7s',
  where?: RoundPlacement,
): Promise<void> {
  const cpus = where ? [where.baseline, where.candidate] : [];
  await Promise.all([a, b].map((x, i) => loadtest({ ...load, duration, baseUrl: x.url, cpus: cpus[i] })));
}

/**
 * A pool whose two slowed processes measure a regression within `tolerance` (fraction) of `r` (percent): each is
 * loaded beside every unslowed one of its pool for `windows` 1 s windows per attempt; at most `attempts` knob
 * values. Every attempt starts a whole new pool: a process keeps getting cheaper for minutes (the JIT, the heap's
 * shape), so slowed processes measured against older unslowed ones showed 14 % at a knob worth 6 %.
 */
export async function tuneKnob<S extends { url: string }>(
  r: number,
  load: LoadtestOptions,
  deps: KnobDeps<S>,
  opts: { windows?: number; tolerance?: number; attempts?: number; pairWarmup?: string } = {},
): Promise<TunedKnob<S>> {
  const windows = opts.windows ?? 6;
  const tolerance = opts.tolerance ?? 0.01;
  const attempts = opts.attempts ?? 4;
  const target = -r / 100;
  let pct = slowdownPctFor(r);
  for (let attempt = 1; ; attempt++) {
    const pool = await deps.pool(pct);
    const ratios: number[] = [];
    // Against every unslowed process: the comparisons draw their baselines from all of them, and two fresh
    // processes of one build differ by several percent on their own.
    let round = 0;
    for (const svc of pool.slowed) {
      for (const base of pool.plain) {
        // Both placements alike often, as the comparisons' rounds alternate them.
        const where = await deps.place?.(base, svc, ++round);
        await warmPair(base, svc, load, deps.loadtest, opts.pairWarmup ?? '7s', where);
        const w = await windowedPairs({ baseline: base.url, candidate: svc.url }, load, windows, 1000, deps, where);
        ratios.push(...w.candidate.map((c, j) => c / w.baseline[j]));
      }
    }
    const change = median(ratios) - 1;
    deps.log(
      `regression ${r}%: SLOWDOWN_PCT=${pct.toFixed(1)} measured ${(change * 100).toFixed(1)}% over ${ratios.length} windows`,
    );
    if (Math.abs(change - target) <= tolerance || attempt >= attempts) return { ...pool, slowdownPct: pct, change };
    await deps.stop([...pool.plain, ...pool.slowed]);
    // Requests per CPU-second fall as 1/(1 + k·pct): solve k from this attempt, then pct for the target.
    const k = (1 / (1 + change) - 1) / pct;
    pct = k > 0 ? (1 / (1 + target) - 1) / k : pct * 2;
  }
}
