// A baseline is a recorded run's samples — every repeat's figures, not just medians, because the regression test
// compares distributions — plus what they were measured on (stack spec, machine, load shape), so a comparison
// across different conditions can say so.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { analyseScaling } from '../analyse/scaling.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import type { MachineInfo } from '../load/run-info.ts';
import type { LoadtestResult } from '../load/types.ts';
import { listRuns } from '../report/runs.ts';
import { summariseLevel } from '../sweep/summarise.ts';
import type { SweepResult } from '../sweep/types.ts';

export const DEFAULT_BASELINE_FILE = 'baselines/baseline.json';

export interface BaselineSample {
  runId: string;
  rps: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  errorRate: number;
}

export interface LoadShape {
  scenario: string;
  model: 'closed' | 'open';
  vus?: number;
  rate?: number;
  /** null when the run did not record it. */
  batch: number | null;
  durationSec: number;
}

export interface Baseline {
  kind: 'toolkit-baseline';
  version: 1;
  savedAt: string;
  fromRun: string;
  load: LoadShape;
  /** The StackSpec the run was measured on (without cwd), null when the run directory did not keep it. */
  spec: Record<string, unknown> | null;
  machine: MachineInfo | null;
  levels: Array<{ replicas: number; samples: BaselineSample[] }>;
}

/** What a run was measured on, read from the first k6 run's directory (spec.json, run.json). */
export interface Provenance {
  spec: Record<string, unknown> | null;
  machine: MachineInfo | null;
  batch: number | null;
}

export function sampleOf(r: LoadtestResult): BaselineSample {
  const { avg, p50, p90, p95, p99 } = r.latency;
  return { runId: r.runId, rps: r.rps, avg, p50, p90, p95, p99, errorRate: r.errorRate };
}

export function baselineFromSweep(sweep: SweepResult, prov: Provenance, now: Date = new Date()): Baseline {
  return {
    kind: 'toolkit-baseline',
    version: 1,
    savedAt: now.toISOString(),
    fromRun: sweep.runId,
    load: { ...sweep.load, batch: prov.batch },
    spec: prov.spec,
    machine: prov.machine,
    levels: sweep.levels.map((l) => ({ replicas: l.replicas, samples: l.runs.map(sampleOf) })),
  };
}

export async function provenanceOf(sweep: SweepResult): Promise<Provenance> {
  const dir = sweep.levels[0]?.runs[0]?.dir;
  const read = async (file: string): Promise<Record<string, unknown> | null> => {
    if (!dir || !existsSync(join(dir, file))) return null;
    try {
      return JSON.parse(await readFile(join(dir, file), 'utf8'));
    } catch {
      return null; // provenance is best effort: a run without it still has samples
    }
  };
  const [spec, run] = await Promise.all([read('spec.json'), read('run.json')]);
  if (spec) delete spec.cwd; // where it ran says nothing about how fast
  const resolved = run?.resolved as { batch?: number } | undefined;
  return {
    spec,
    machine: (run?.machine as MachineInfo | undefined) ?? null,
    batch: typeof resolved?.batch === 'number' ? resolved.batch : null,
  };
}

/** A recorded run as a sweep: results/<id>/sweep.json, or a single load test's result.json as a one-count sweep. */
export async function readRecordedRun(resultsDir: string, runId?: string): Promise<SweepResult> {
  const id = runId ?? (await listRuns(resultsDir)).at(-1)?.runId;
  if (id === undefined) {
    throw new UsageError(`no recorded runs in ${resultsDir}`, 'run `toolkit sweep` or `toolkit loadtest` first');
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/.test(id)) throw new UsageError(`run id '${id}' is not valid`);
  const dir = join(resultsDir, id);
  if (existsSync(join(dir, 'sweep.json'))) {
    const s = await readJson<SweepResult>(join(dir, 'sweep.json'));
    if (s.kind !== 'sweep' || !Array.isArray(s.levels) || s.levels.length === 0) {
      throw new UsageError(`${join(dir, 'sweep.json')} is not a sweep record`);
    }
    return s;
  }
  if (existsSync(join(dir, 'result.json'))) {
    const r = await readJson<LoadtestResult>(join(dir, 'result.json'));
    // 'none' collects responses nginx answered itself, not a replica.
    return sweepFromLoadtest(r, Math.max(1, (r.perReplica ?? []).filter((p) => p.replica !== 'none').length));
  }
  throw new UsageError(`no recorded run '${id}' in ${resultsDir}`, 'toolkit report lists what is recorded');
}

/** One load test as a one-count sweep, so everything downstream reads one shape. */
export function sweepFromLoadtest(r: LoadtestResult, replicas = 1): SweepResult {
  if (typeof r.rps !== 'number' || typeof r.latency?.p95 !== 'number') {
    throw new UsageError(`run ${r.runId} is not a load-test result`);
  }
  const level = summariseLevel(replicas, [r], []);
  const analysis = analyseScaling({
    levels: [{ n: replicas, throughput: r.rps, latency: r.latency }],
    samples: [{ n: replicas, x: r.rps }],
  });
  return {
    kind: 'sweep',
    version: 1,
    runId: r.runId,
    startedAt: '',
    finishedAt: '',
    counts: [replicas],
    repeat: 1,
    warmup: '0s',
    load: { model: r.model, scenario: r.scenario, vus: r.vus, rate: r.rate, durationSec: r.durationSec },
    levels: [level],
    ...analysis,
  };
}

export async function saveBaseline(file: string, baseline: Baseline): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

export async function loadBaseline(file: string): Promise<Baseline> {
  if (!existsSync(file)) {
    throw new UsageError(`baseline ${file}: no such file`, 'save one with: toolkit baseline save [run-id]');
  }
  const b = await readJson<Baseline>(file).catch((err: unknown) => {
    throw new UsageError(`baseline ${file}: ${(err as Error).message}`);
  });
  const ok =
    b?.kind === 'toolkit-baseline' &&
    b.version === 1 &&
    typeof b.load?.scenario === 'string' &&
    Array.isArray(b.levels) &&
    b.levels.every(
      (l) =>
        Number.isInteger(l.replicas) && Array.isArray(l.samples) && l.samples.every((s) => typeof s.rps === 'number'),
    );
  if (!ok)
    throw new UsageError(
      `baseline ${file} is not a toolkit baseline (version 1)`,
      'save one with: toolkit baseline save',
    );
  return b;
}

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    throw new RuntimeError(`cannot read ${path}: ${(err as Error).message}`, undefined, err);
  }
}
