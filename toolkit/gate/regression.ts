// Regression measurement: repeated rounds of runs, judged after each by judgeRounds (stopping.ts), re-measured
// while inconclusive (up to a limit). With two live targets the runs alternate A B B A …, so a slow drift of the
// shared machine (another job starting, thermal throttling) lands on both sides equally instead of looking like a
// regression.
import type { LoadtestOptions, LoadtestResult } from '../load/types.ts';
import type { Progress } from '../progress.ts';
import { type RegressionConfig, type RegressionMetric, swapEvery } from './config.ts';
import { cpuSeconds } from './cpu.ts';
import type { RoundPlacement } from './placement.ts';
import { judgeRounds, type MeasuredRound } from './stopping.ts';
import type { RegressionJudgement } from './verdict.ts';
import { windowedPairs } from './windows.ts';

export interface RegressionDeps {
  /** One measured run; `opts.baseUrl` says which service. */
  loadtest(opts: LoadtestOptions): Promise<LoadtestResult>;
  progress: Progress;
  /** CPU seconds the service at a base URL has used so far (default: its /metrics). */
  cpuSeconds?(baseUrl: string): Promise<number>;
  /**
   * Simultaneous only: pins both services for placement k (placement.ts) and says where. Called before every window
   * (swap: window; k6 unpinned) or once per round (swap: round; each side's k6 pinned beside its service). Absent or
   * undefined: the scheduler places everything.
   */
  place?(k: number): Promise<RoundPlacement | undefined>;
}

export interface RegressionInput {
  config: RegressionConfig;
  /** Options of every sample run (duration = the regression's); baseUrl is replaced per side. */
  load: LoadtestOptions;
  /** Stored mode: the baseline's samples, fixed. */
  baselineSamples?: number[];
  /** Both sides live: measured alternately (interleaved) or at the same time (simultaneous, paired). */
  urls?: { baseline: string; candidate: string; mode?: 'interleaved' | 'simultaneous' };
  /** Candidate samples measured already (the sweep's repeats at this count); stored mode only. */
  candidateSamples?: number[];
  /** Warm-up duration per side before interleaved sampling ('0s': none). */
  warmup?: string;
  /** Judge what is there, measure nothing (a recorded run). */
  readOnly?: boolean;
  /**
   * Measure all maxRounds rounds even after a verdict (bench/gate --record, to judge stopping rules offline); the
   * outcome's judgement stays the first decisive one, so the figures are the rule's as shipped.
   */
  allRounds?: boolean;
}

export interface RegressionRound {
  round: number;
  baselineN: number;
  candidateN: number;
  verdict: RegressionJudgement['verdict'];
  change: number;
  changeLo: number;
  changeHi: number;
  pValue: number;
  /** CPUs of the baseline side in this round (simultaneous with placement). */
  baselineCpus?: string;
  /** When the round's measurement started (ms since the epoch). */
  startedAt?: number;
}

export interface RegressionOutcome {
  mode: 'stored' | 'interleaved' | 'simultaneous';
  metric: RegressionMetric;
  replicas: number | null;
  baseline: number[];
  candidate: number[];
  rounds: RegressionRound[];
  judgement: RegressionJudgement;
  /** Sample runs whose load generator was saturated. */
  untrustedSamples: number;
}

/** A run's sample; rps-per-cpu needs the CPU seconds the service used during the run. */
export function sampleValue(r: LoadtestResult, metric: RegressionMetric, cpuUsed?: number): number {
  if (metric === 'rps-per-cpu') {
    if (!(cpuUsed !== undefined && cpuUsed > 0))
      throw new RangeError(`run ${r.runId}: no CPU use measured for rps-per-cpu`);
    return r.requests / cpuUsed;
  }
  return metric === 'rps' ? r.rps : r.latency[metric];
}

export async function runRegression(
  input: RegressionInput,
  deps: RegressionDeps,
  replicas: number | null = null,
): Promise<RegressionOutcome> {
  const { config } = input;
  const live = input.urls !== undefined;
  const simultaneous = live && input.urls!.mode === 'simultaneous';
  const mode = simultaneous ? 'simultaneous' : live ? 'interleaved' : 'stored';
  if (!live && !input.baselineSamples?.length)
    throw new RangeError('a regression needs baseline samples or two targets');
  const baseline = [...(input.baselineSamples ?? [])];
  const candidate = [...(input.candidateSamples ?? [])];
  const rounds: RegressionRound[] = [];
  let untrustedSamples = 0;
  const cpu = deps.cpuSeconds ?? cpuSeconds;
  const measure = async (baseUrl: string, cpus?: string): Promise<number> => {
    const perCpu = config.metric === 'rps-per-cpu';
    const c0 = perCpu ? await cpu(baseUrl) : 0;
    const r = await deps.loadtest({ ...input.load, baseUrl, cpus });
    const c1 = perCpu ? await cpu(baseUrl) : 0;
    if (!r.generator.trusted) untrustedSamples++;
    return sampleValue(r, config.metric, c1 - c0);
  };

  if (live && !input.readOnly && input.warmup && !/^0+(\.0+)?(ms|s|m)?$/.test(input.warmup)) {
    deps.progress.info(`warm-up ${input.warmup} per side (discarded)`);
    await deps.loadtest({ ...input.load, duration: input.warmup, baseUrl: input.urls!.baseline });
    await deps.loadtest({ ...input.load, duration: input.warmup, baseUrl: input.urls!.candidate });
  }

  let judgement: RegressionJudgement | undefined;
  let decided: RegressionJudgement | undefined;
  const measured: MeasuredRound[] = [];
  const windowed = simultaneous && config.window !== undefined && config.metric === 'rps-per-cpu';
  const perWindow = windowed && swapEvery(config) === 'window' && deps.place !== undefined;
  for (let round = 1; round <= config.maxRounds; round++) {
    const before = { b: baseline.length, c: candidate.length };
    const startedAt = Date.now();
    const where = simultaneous && !input.readOnly && !perWindow ? await deps.place?.(round) : undefined;
    if (!input.readOnly) {
      if (where)
        deps.progress.info(`round ${round}: baseline on CPUs ${where.baseline}, candidate on ${where.candidate}`);
      if (perWindow) deps.progress.info(`round ${round}: the sides' CPUs swap before every window`);
      if (windowed) {
        const swap = perWindow ? deps.place : undefined;
        const ms = config.window! * 1000;
        const w = await windowedPairs(input.urls!, input.load, config.samples, ms, deps, where, swap);
        baseline.push(...w.baseline);
        candidate.push(...w.candidate);
        untrustedSamples += w.results.filter((r) => !r.generator.trusted).length;
      } else if (simultaneous) {
        for (let i = 0; i < config.samples; i++) {
          // Both at once: whatever else the machine does hits both sides of the pair alike.
          const [b, c] = await Promise.all([
            measure(input.urls!.baseline, where?.baseline),
            measure(input.urls!.candidate, where?.candidate),
          ]);
          baseline.push(b);
          candidate.push(c);
        }
      } else if (live) {
        for (let i = 0; i < config.samples; i++) {
          // ABBA: each side goes first equally often.
          const order = i % 2 === 0 ? (['baseline', 'candidate'] as const) : (['candidate', 'baseline'] as const);
          for (const side of order) (side === 'baseline' ? baseline : candidate).push(await measure(input.urls![side]));
        }
      } else {
        const want = round === 1 ? Math.max(0, config.samples - candidate.length) : config.samples;
        for (let i = 0; i < want; i++) candidate.push(await measure(input.load.baseUrl));
      }
    }
    measured.push({
      baseline: baseline.slice(before.b),
      candidate: candidate.slice(before.c),
      ...(where ? { baselineCpus: where.baseline } : {}),
    });
    judgement = judgeRounds(measured, {
      config,
      mode,
      storedBaseline: input.baselineSamples,
      priorCandidate: input.candidateSamples,
      final: input.readOnly,
    });
    rounds.push({
      round,
      baselineN: baseline.length,
      candidateN: candidate.length,
      verdict: judgement.verdict,
      change: judgement.change,
      changeLo: judgement.changeLo,
      changeHi: judgement.changeHi,
      pValue: judgement.pValue,
      ...(where ? { baselineCpus: where.baseline } : {}),
      startedAt,
    });
    deps.progress.info(`regression round ${round}: ${judgement.verdict} — ${judgement.reason}`);
    if (judgement.verdict !== 'inconclusive' || input.readOnly) {
      decided ??= judgement;
      if (!input.allRounds || input.readOnly) break;
    }
  }
  judgement = decided ?? judgement;
  return {
    mode,
    metric: config.metric,
    replicas,
    baseline,
    candidate,
    rounds,
    judgement: judgement!,
    untrustedSamples,
  };
}
