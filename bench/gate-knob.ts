// Injecting a regression of a known size for bench/gate. SLOWDOWN_PCT=p adds p % to the CPU an instance cost when
// the knob calibrated itself; what that takes off the gate's metric depends on the setting (the share of a
// request's CPU that is fixed per wake-up, which the load's shape sets; SMT siblings). So a "10 % regression" is
// not a knob value but a measured fact: the knob is tuned until, in the comparisons' own setting and over many more
// windows than a comparison gets, the candidate's requests per CPU-second are r % below the unslowed processes'.
import { median } from '../toolkit/analyse/stats.ts';
import { windowedPairs } from '../toolkit/gate/windows.ts';
import type { LoadtestOptions, LoadtestResult } from '../toolkit/load/types.ts';

export interface KnobDeps<S extends { url: string }> {
  /** Starts `n` inference processes with SLOWDOWN_PCT=pct. */
  start(pct: number, n: number): Promise<S[]>;
  stop(list: S[]): Promise<void>;
  loadtest(opts: LoadtestOptions): Promise<LoadtestResult>;
  log(line: string): void;
}

export interface TunedKnob<S> {
  services: S[];
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
): Promise<void> {
  await Promise.all([a, b].map((x) => loadtest({ ...load, duration, baseUrl: x.url })));
}

/**
 * Two slowed processes whose measured regression is within `tolerance` (fraction) of `r` (percent): each is loaded
 * beside every unslowed one of `plain` for `windows` 1 s windows per attempt; at most `attempts` knob values.
 */
export async function tuneKnob<S extends { url: string }>(
  r: number,
  plain: S[],
  load: LoadtestOptions,
  deps: KnobDeps<S>,
  opts: { windows?: number; tolerance?: number; attempts?: number } = {},
): Promise<TunedKnob<S>> {
  const windows = opts.windows ?? 6;
  const tolerance = opts.tolerance ?? 0.02;
  const attempts = opts.attempts ?? 4;
  const target = -r / 100;
  let pct = slowdownPctFor(r);
  for (let attempt = 1; ; attempt++) {
    const list = await deps.start(pct, 2);
    for (const [i, svc] of list.entries())
      await warmPair(plain[i % plain.length], svc, load, deps.loadtest, FIRST_WARMUP);
    const ratios: number[] = [];
    // Against every unslowed process: the comparisons draw their baselines from all of them, and two fresh
    // processes of one build differ by several percent on their own.
    for (const [i, svc] of list.entries()) {
      for (const base of plain) {
        await warmPair(base, svc, load, deps.loadtest);
        const w = await windowedPairs({ baseline: base.url, candidate: svc.url }, load, windows, 1000, deps);
        ratios.push(...w.candidate.map((c, j) => c / w.baseline[j]));
      }
      if (i === 0) deps.log(`regression ${r}%: first slowed process measured against ${plain.length}`);
    }
    const change = median(ratios) - 1;
    deps.log(
      `regression ${r}%: SLOWDOWN_PCT=${pct.toFixed(1)} measured ${(change * 100).toFixed(1)}% over ${ratios.length} windows`,
    );
    if (Math.abs(change - target) <= tolerance || attempt >= attempts)
      return { services: list, slowdownPct: pct, change };
    await deps.stop(list);
    // Requests per CPU-second fall as 1/(1 + k·pct): solve k from this attempt, then pct for the target.
    const k = (1 / (1 + change) - 1) / pct;
    pct = k > 0 ? (1 / (1 + target) - 1) / k : pct * 2;
  }
}
