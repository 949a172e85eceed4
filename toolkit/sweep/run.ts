// The sweep: for each replica count scale, warm up, measure `repeat` times while sampling replica resource use,
// then fit the USL and recommend. Everything outside (engine, k6, Docker stats) comes in through `deps`.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Latency, parseSlo, type Slo } from '../analyse/recommend.ts';
import { analyseScaling } from '../analyse/scaling.ts';
import { RuntimeError, ToolkitError } from '../errors.ts';
import type { Progress } from '../progress.ts';
import { summariseLevel } from './summarise.ts';
import type { LoadtestResult, ReplicaStats, SweepDeps, SweepLevel, SweepOptions, SweepResult } from './types.ts';
import { parseDurationSec, validateCounts } from './validate.ts';

export const SWEEP_FILE = 'sweep.json';

export async function runSweep<L extends { duration?: string }>(
  opts: SweepOptions<L>,
  deps: SweepDeps<L>,
  progress: Progress,
): Promise<SweepResult> {
  // Validate everything before the first container is touched.
  validateCounts(opts.counts, opts.maxReplicas);
  if (!Number.isInteger(opts.repeat) || opts.repeat < 1) throw new RangeError(`repeat must be ≥ 1, got ${opts.repeat}`);
  const warmupSec = parseDurationSec(opts.warmup, '--warmup');
  const slo = opts.slo === undefined ? undefined : parseSlo(opts.slo);

  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const runId = opts.runId ?? makeSweepRunId(opts.resultsDir, startedAt);
  const dir = join(opts.resultsDir, runId);
  const record = async (r: SweepResult) => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, SWEEP_FILE), `${JSON.stringify(r, null, 2)}\n`);
  };

  const levels: SweepLevel[] = [];
  try {
    for (const [i, n] of opts.counts.entries()) {
      progress.step(`[${i + 1}/${opts.counts.length}] scaling to ${n} replica${n === 1 ? '' : 's'}`);
      await deps.scaleTo(n);
      if (warmupSec > 0) {
        progress.info(`warm-up ${opts.warmup} (discarded)`);
        await deps.loadtest({ ...opts.loadtest, duration: opts.warmup });
      }
      const runs: LoadtestResult[] = [];
      const samples: ReplicaStats[][] = [];
      for (let r = 1; r <= opts.repeat; r++) {
        const { result, stats } = await measure(deps, opts.loadtest, progress);
        runs.push(result);
        samples.push(...stats);
        const mark = result.generator.trusted ? '' : '  (untrusted: load generator saturated)';
        progress.info(
          `run ${r}/${opts.repeat}: ${result.rps.toFixed(1)} req/s, p95 ${result.latency.p95.toFixed(1)} ms, ` +
            `errors ${(result.errorRate * 100).toFixed(2)}%${mark}`,
        );
      }
      levels.push(summariseLevel(n, runs, samples));
    }
  } catch (err) {
    if (levels.length === 0) throw err;
    // Keep what was measured: the partial record can still be reported and compared.
    await record(finish(opts, levels, slo, runId, startedAt, now()));
    const reason = err instanceof Error ? err.message : String(err);
    const hint = `the ${levels.length} completed count(s) are in ${join(dir, SWEEP_FILE)}; toolkit report ${runId}`;
    if (err instanceof ToolkitError) throw new RuntimeError(`sweep stopped: ${reason}`, err.hint ?? hint, err);
    throw new RuntimeError(`sweep stopped: ${reason}`, hint, err);
  }

  const result = finish(opts, levels, slo, runId, startedAt, now());
  await record(result);
  return result;
}

/** One measured run with Docker stats sampled for as long as it lasts (at least once). */
async function measure<L>(
  deps: SweepDeps<L>,
  loadtest: L,
  progress: Progress,
): Promise<{ result: LoadtestResult; stats: ReplicaStats[][] }> {
  let done = false;
  const stats: ReplicaStats[][] = [];
  const interval = deps.statsIntervalMs ?? 2000;
  const sampling = (async () => {
    do {
      try {
        stats.push(await deps.replicaStats());
      } catch (err) {
        progress.warn(`replica stats unavailable: ${(err as Error).message}`);
        return;
      }
      if (!done) await new Promise((resolve) => setTimeout(resolve, interval));
    } while (!done);
  })();
  try {
    return { result: await deps.loadtest(loadtest), stats };
  } finally {
    done = true;
    await sampling;
  }
}

function finish<L>(
  opts: SweepOptions<L>,
  levels: SweepLevel[],
  slo: Slo | undefined,
  runId: string,
  startedAt: Date,
  finishedAt: Date,
): SweepResult {
  const medianLatency = (l: SweepLevel): Latency => ({
    avg: l.latency.avg.median,
    p50: l.latency.p50.median,
    p90: l.latency.p90.median,
    p95: l.latency.p95.median,
    p99: l.latency.p99.median,
    max: l.latency.max.median,
  });
  const analysis = analyseScaling({
    levels: levels.map((l) => ({ n: l.replicas, throughput: l.throughput.median, latency: medianLatency(l) })),
    samples: levels.flatMap((l) => l.runs.map((r) => ({ n: l.replicas, x: r.rps }))),
    slo,
  });
  const first = levels[0].runs[0];
  return {
    kind: 'sweep',
    version: 1,
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    counts: opts.counts,
    repeat: opts.repeat,
    warmup: opts.warmup,
    slo: slo?.text,
    load: {
      model: first.model,
      scenario: first.scenario,
      vus: first.vus,
      rate: first.rate,
      durationSec: first.durationSec,
    },
    levels,
    ...analysis,
  };
}

/** `sweep-YYYYMMDD-HHMMSS`, suffixed -2, -3 … when a run of that second already exists. */
export function makeSweepRunId(resultsDir: string, at: Date = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '-');
  const base = `sweep-${stamp}`;
  let id = base;
  for (let k = 2; existsSync(join(resultsDir, id)); k++) id = `${base}-${k}`;
  return id;
}
