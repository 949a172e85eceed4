// Finding and reading a recorded run: results/<run-id>/sweep.json (a sweep) or result.json (one load test).
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError, UsageError } from '../errors.ts';
import { SWEEP_FILE } from '../sweep/run.ts';
import type { LoadtestResult, SweepResult } from '../sweep/types.ts';
import { modelFromLoadtest, modelFromSweep, type ReportModel } from './model.ts';

export const LOADTEST_FILE = 'result.json';
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;

export interface LoadedRun {
  runId: string;
  dir: string;
  model: ReportModel;
}

export async function loadRun(resultsDir: string, runId: string): Promise<LoadedRun> {
  if (!RUN_ID.test(runId))
    throw new UsageError(`run id '${runId}' is not valid`, 'run ids are directory names under results/');
  const dir = join(resultsDir, runId);
  if (!existsSync(dir)) {
    const known = (await listRuns(resultsDir)).slice(-5).map((r) => r.runId);
    throw new UsageError(
      `no run '${runId}' in ${resultsDir}`,
      known.length ? `recent runs: ${known.join(', ')}` : 'run `toolkit sweep` or `toolkit loadtest` first',
    );
  }
  if (existsSync(join(dir, SWEEP_FILE))) {
    const s = await readJson<SweepResult>(join(dir, SWEEP_FILE));
    if (s.kind !== 'sweep' || !Array.isArray(s.levels) || s.levels.length === 0) {
      throw new RuntimeError(`${join(dir, SWEEP_FILE)} is not a sweep record`);
    }
    return { runId, dir, model: modelFromSweep(s) };
  }
  if (existsSync(join(dir, LOADTEST_FILE))) {
    const r = await readJson<LoadtestResult>(join(dir, LOADTEST_FILE));
    if (typeof r.rps !== 'number' || typeof r.latency?.p95 !== 'number') {
      throw new RuntimeError(`${join(dir, LOADTEST_FILE)} is not a load-test result`);
    }
    return { runId, dir, model: modelFromLoadtest(r) };
  }
  throw new UsageError(
    `run '${runId}' has neither ${SWEEP_FILE} nor ${LOADTEST_FILE}`,
    'the run may have failed before it recorded a result; see the logs in its directory',
  );
}

/** Runs with a readable record, oldest first (by modification time, so sweeps and load tests interleave right). */
export async function listRuns(resultsDir: string): Promise<Array<{ runId: string; mtimeMs: number }>> {
  if (!existsSync(resultsDir)) return [];
  const entries = await readdir(resultsDir, { withFileTypes: true });
  const runs: Array<{ runId: string; mtimeMs: number }> = [];
  for (const e of entries) {
    if (!e.isDirectory() || !RUN_ID.test(e.name)) continue;
    for (const file of [SWEEP_FILE, LOADTEST_FILE]) {
      const path = join(resultsDir, e.name, file);
      if (existsSync(path)) {
        runs.push({ runId: e.name, mtimeMs: (await stat(path)).mtimeMs });
        break;
      }
    }
  }
  return runs.sort((a, b) => a.mtimeMs - b.mtimeMs || a.runId.localeCompare(b.runId));
}

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    throw new RuntimeError(`cannot read ${path}: ${(err as Error).message}`, undefined, err);
  }
}
