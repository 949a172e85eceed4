// The gate from a validated config to a report: measure (or read) a sweep, hold it to the absolute, scaling and
// generator checks, then judge the regression against the baseline. Everything outside comes in through deps.

import type { Baseline } from '../baseline/store.ts';
import { UsageError } from '../errors.ts';
import type { LoadtestOptions } from '../load/types.ts';
import type { Progress } from '../progress.ts';
import { makeSweepRunId, runSweep } from '../sweep/run.ts';
import type { SweepDeps, SweepResult } from '../sweep/types.ts';
import { type GateCheck, generatorChecks, scalingChecks, thresholdChecks } from './checks.ts';
import type { GateConfig } from './config.ts';
import { type RegressionOutcome, runRegression, sampleValue } from './regression.ts';
import type { CompareSide } from './side-spec.ts';
import { describeLive, type LiveSide, type SideLauncher } from './sides.ts';

export interface GateReport {
  version: 1;
  kind: 'gate';
  runId: string;
  configFile: string;
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** 0 pass (or inconclusive with `inconclusive: warn`), 99 fail. */
  exitCode: 0 | 99;
  checks: GateCheck[];
  regression: RegressionOutcome | null;
  /** The A/B sides as measured (regression.compare): URL, and for image/commit sides the image, SHA and env. */
  sides?: { baseline: LiveSide; candidate: LiveSide };
  warnings: string[];
  load: SweepResult['load'];
  levels: Array<{
    replicas: number;
    rps: number;
    p95: number;
    errorRate: number;
    efficiency: number | null;
    trusted: boolean;
  }>;
}

export interface GateInputs {
  config: GateConfig;
  /** Stored baseline (regression without live A/B targets). */
  baseline: Baseline | null;
  /** A recorded run to judge instead of measuring. */
  recorded?: SweepResult;
  /** Options of every measured run (from config.run). */
  load: LoadtestOptions;
  resultsDir: string;
  /** Compatibility warnings found while validating. */
  warnings?: string[];
  /** Runs the image/commit sides of regression.compare, right before the A/B and removed right after it. */
  sides?: SideLauncher;
}

function urlSide(side: CompareSide): LiveSide {
  if (side.kind !== 'url') throw new RangeError(`a ${side.kind} side needs a side launcher (GateInputs.sides)`);
  return { role: 'baseline', kind: 'url', url: side.url };
}

/** The replica count a stored-baseline regression compares: configured, else the last measured. */
export function regressionReplicas(config: GateConfig, sweepCounts: number[]): number {
  return config.regression?.replicas ?? sweepCounts[sweepCounts.length - 1];
}

/** Validate-first: a regression against a stored baseline needs the compared count in it. */
export function checkBaselineCovers(config: GateConfig, baseline: Baseline, counts: number[]): void {
  const n = regressionReplicas(config, counts);
  if (!baseline.levels.some((l) => l.replicas === n && l.samples.length > 0)) {
    throw new UsageError(
      `the baseline (run ${baseline.fromRun}) has no samples at ${n} replica(s); it has ${baseline.levels.map((l) => l.replicas).join(', ')}`,
      'save a baseline from a run that measured this count, or set regression.replicas',
    );
  }
}

export async function runGate(
  inputs: GateInputs,
  deps: SweepDeps<LoadtestOptions> | null,
  progress: Progress,
): Promise<GateReport> {
  const { config } = inputs;
  let sweep = inputs.recorded;
  if (!sweep) {
    if (!deps) throw new RangeError('runGate needs deps to measure');
    const runId = `gate-${makeSweepRunId(inputs.resultsDir).replace(/^sweep-/, '')}`;
    progress.step(
      `gate ${runId}: replicas ${config.run.replicas.join(', ')} × ${config.run.repeat} run(s) of ${config.run.duration}`,
    );
    sweep = await runSweep(
      {
        counts: config.run.replicas,
        repeat: config.run.repeat,
        warmup: config.run.warmup,
        maxReplicas: Number.MAX_SAFE_INTEGER,
        loadtest: { ...inputs.load, resultsDir: inputs.load.resultsDir ?? `${inputs.resultsDir}/${runId}/runs` },
        resultsDir: inputs.resultsDir,
        runId,
      },
      deps,
      progress,
    );
  }
  const checks: GateCheck[] = [
    ...thresholdChecks(sweep, config.thresholds),
    ...scalingChecks(sweep, config.scaling),
    ...generatorChecks(sweep, config.generator),
  ];
  const warnings = [...(inputs.warnings ?? [])];

  let regression: RegressionOutcome | null = null;
  let sides: GateReport['sides'];
  const rc = config.regression;
  if (rc) {
    const load: LoadtestOptions = { ...inputs.load, duration: rc.duration ?? inputs.load.duration };
    if (rc.compare) {
      if (!deps)
        throw new UsageError('an A/B regression (regression.compare) measures live; it cannot read a recorded run');
      const mode = rc.compare.mode;
      const live = inputs.sides ? await inputs.sides.start() : null;
      try {
        sides = live
          ? { baseline: live.baseline, candidate: live.candidate }
          : {
              baseline: urlSide(rc.compare.baseline),
              candidate: { ...urlSide(rc.compare.candidate), role: 'candidate' },
            };
        progress.step(`regression: ${describeLive(sides.baseline)} vs ${describeLive(sides.candidate)}, ${mode}`);
        const urls = { baseline: sides.baseline.url, candidate: sides.candidate.url, mode };
        regression = await runRegression(
          { config: rc, load, urls, warmup: config.run.warmup },
          { loadtest: deps.loadtest, progress, place: live?.place },
        );
      } finally {
        await live?.close();
      }
    } else {
      if (!inputs.baseline)
        throw new UsageError('the regression check needs a baseline', 'pass --baseline <file> or --baseline-run <id>');
      const n = regressionReplicas(config, sweep.counts);
      checkBaselineCovers(config, inputs.baseline, sweep.counts);
      const baselineSamples = inputs.baseline.levels
        .find((l) => l.replicas === n)!
        .samples.map((s) => (rc.metric === 'rps' || rc.metric === 'rps-per-cpu' ? s.rps : s[rc.metric]));
      const level = sweep.levels.find((l) => l.replicas === n);
      const candidateSamples = (level?.runs ?? []).map((r) => sampleValue(r, rc.metric));
      if (deps && !inputs.recorded) {
        progress.step(`regression at ${n} replica(s) against baseline ${inputs.baseline.fromRun}`);
        await deps.scaleTo(n);
      }
      regression = await runRegression(
        { config: rc, load, baselineSamples, candidateSamples, readOnly: !deps || inputs.recorded !== undefined },
        { loadtest: (o) => deps!.loadtest(o), progress },
        n,
      );
    }
    const j = regression.judgement;
    const word =
      rc.metric === 'rps'
        ? 'throughput'
        : rc.metric === 'rps-per-cpu'
          ? 'requests per CPU-second'
          : `${rc.metric} latency`;
    // Image and commit sides are named in the check itself, so every output (terminal, Markdown, JUnit) says what
    // was compared.
    const named =
      sides && (sides.baseline.kind !== 'url' || sides.candidate.kind !== 'url')
        ? `: ${describeLive(sides.baseline)} vs ${describeLive(sides.candidate)}`
        : '';
    checks.push({
      name: `no ${word} regression${regression.replicas ? ` at ${regression.replicas} replica(s)` : ''} (${regression.mode})${named}`,
      kind: 'regression',
      status: j.verdict,
      expected: `change within ${rc.policy.better === 'higher' ? '−' : '+'}${(rc.policy.maxRegression * 100).toFixed(1)}%`,
      got: j.reason,
    });
    if (regression.untrustedSamples > 0) {
      warnings.push(`${regression.untrustedSamples} regression sample run(s) had a saturated load generator`);
    }
  }

  const failed = checks.some((c) => c.status === 'fail');
  const inconclusive = checks.some((c) => c.status === 'inconclusive');
  const verdict = failed ? 'fail' : inconclusive ? 'inconclusive' : 'pass';
  if (verdict === 'inconclusive') {
    warnings.push(
      rc?.inconclusive === 'fail'
        ? 'the regression stayed inconclusive and regression.inconclusive is fail'
        : 'the regression stayed inconclusive after every re-measurement; not failing (regression.inconclusive: warn)',
    );
  }
  const exitCode = failed || (verdict === 'inconclusive' && rc?.inconclusive === 'fail') ? 99 : 0;
  const eff = new Map(sweep.efficiency.map((e) => [e.replicas, e.efficiency]));
  return {
    version: 1,
    kind: 'gate',
    runId: sweep.runId,
    configFile: config.file,
    verdict,
    exitCode,
    checks,
    regression,
    ...(sides ? { sides } : {}),
    warnings,
    load: sweep.load,
    levels: sweep.levels.map((l) => ({
      replicas: l.replicas,
      rps: l.throughput.median,
      p95: l.latency.p95.median,
      errorRate: l.errorRate.median,
      efficiency: eff.get(l.replicas) ?? null,
      trusted: l.trusted,
    })),
  };
}
