// `toolkit sweep`: measure throughput and latency at each replica count, fit the USL, recommend a count, and write
// results/<run-id>/ (sweep.json, report.json/.md/.html, junit.xml). Every flag is checked before anything scales.
import { join, relative, resolve } from 'node:path';
import { parseSlo } from '../analyse/recommend.ts';
import type { LoadtestOptions } from '../load/types.ts';
import { modelFromSweep, renderTerminal, writeReports } from '../report/index.ts';
import type { StackSpec } from '../spec/types.ts';
import { type LiveSweepDeps, liveSweepDeps } from '../sweep/live.ts';
import { makeSweepRunId, runSweep } from '../sweep/run.ts';
import type { SweepDeps } from '../sweep/types.ts';
import { parseCounts, parseDurationSec, parseRepeat } from '../sweep/validate.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';
import { loadtestOptions } from './loadtest.ts';

export interface SweepFlags {
  /** The sweep list, `1,2,3,4` (replaces the stack's --replicas for this command). */
  replicas?: string;
  repeat?: string;
  warmup?: string;
  slo?: string;
  scenario?: string;
  users?: string;
  rate?: string;
  duration?: string;
  batch?: string;
  generators?: string;
  json?: boolean;
  /** Where run directories go, relative to cwd (default `results`). */
  resultsDir?: string;
}

export const SWEEP_DEFAULTS = { replicas: '1,2,3,4', repeat: 3, warmup: '5s', duration: '20s' } as const;

/** Builds the live dependencies for a validated spec; tests pass recorded ones instead. */
export type SweepDepsFactory = (
  spec: StackSpec,
  io: CommandIO,
) => Promise<SweepDeps<LoadtestOptions> & Partial<LiveSweepDeps>>;

export async function sweepCommand(
  opts: SpecOptions & SweepFlags,
  io: CommandIO,
  makeDeps: SweepDepsFactory = liveSweepDeps,
): Promise<void> {
  const {
    replicas,
    repeat,
    warmup,
    slo,
    scenario,
    users,
    rate,
    duration,
    batch,
    generators,
    json,
    resultsDir,
    ...specOpts
  } = opts;
  const spec = await specFromOptions(specOpts, io);
  const counts = parseCounts(replicas ?? defaultCounts(spec.maxReplicas), spec.maxReplicas);
  const repeatN = parseRepeat(repeat, SWEEP_DEFAULTS.repeat);
  const warmupText = warmup ?? SWEEP_DEFAULTS.warmup;
  parseDurationSec(warmupText, '--warmup');
  if (slo !== undefined) parseSlo(slo);

  const results = resolve(io.cwd, resultsDir ?? 'results');
  const runId = makeSweepRunId(results);
  const load = loadtestOptions(
    { scenario, users, rate, duration: duration ?? SWEEP_DEFAULTS.duration, batch, generators },
    spec.port,
  );
  // Each k6 run keeps its own directory inside the sweep's, so one run id holds the whole experiment.
  load.resultsDir = relative(io.cwd, join(results, runId, 'runs'));

  const live = await makeDeps(spec, io);
  let scaled = false;
  const deps = {
    ...live,
    scaleTo: (n: number) => {
      scaled = true;
      return live.scaleTo(n);
    },
  };
  io.progress.step(
    `sweep ${runId}: replicas ${counts.join(', ')} × ${repeatN} run(s) of ${load.duration} (${load.scenario})`,
  );
  let result: Awaited<ReturnType<typeof runSweep>>;
  try {
    result = await runSweep(
      {
        counts,
        repeat: repeatN,
        warmup: warmupText,
        slo,
        maxReplicas: spec.maxReplicas,
        loadtest: load,
        resultsDir: results,
        runId,
      },
      deps,
      io.progress,
    );
  } finally {
    if (scaled) await restore(live, counts, io);
  }

  const dir = join(results, runId);
  const model = modelFromSweep(result);
  const files = await writeReports(dir, model);
  if (json) return printJson(io, { ...model, dir, files });
  io.out(renderTerminal(model));
  io.out(`\nreport: ${files.html}\n        ${files.markdown}  ${files.junit}`);
}

function defaultCounts(maxReplicas: number): string {
  return SWEEP_DEFAULTS.replicas
    .split(',')
    .filter((n) => Number(n) <= maxReplicas)
    .join(',');
}

/** Leave the stack as it was found: back to the replica count it had, unless that is where the sweep ended. */
async function restore(deps: Partial<LiveSweepDeps> & SweepDeps<LoadtestOptions>, counts: number[], io: CommandIO) {
  const before = deps.initialReplicas;
  if (!before || before === counts[counts.length - 1]) return;
  io.progress.step(`restoring ${before} replica(s)`);
  try {
    await deps.scaleTo(before);
  } catch (err) {
    io.progress.warn(
      `could not restore ${before} replica(s): ${(err as Error).message}; run toolkit up --replicas ${before}`,
    );
  }
}
