// results/<run-id>/: made once per run (an existing id is refused, never overwritten), and k6's summary read back.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RuntimeError, UsageError } from '../errors.ts';
import { findK6, k6Version } from './k6.ts';
import type { LoadtestContext } from './run.ts';
import { machineInfo, makeRunId } from './run-info.ts';
import { LOADTESTS_DIR, scriptPath } from './scenarios.ts';
import { isK6Summary, type K6Summary } from './summary.ts';
import type { LoadtestOptions } from './types.ts';
import type { ValidOptions } from './validate.ts';

export async function createRunDir(cwd: string, v: ValidOptions): Promise<{ runId: string; dir: string }> {
  const runId = v.runId ?? makeRunId();
  const dir = resolve(cwd, v.resultsDir, runId);
  await mkdir(resolve(cwd, v.resultsDir), { recursive: true });
  try {
    await mkdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`results for run ${runId} already exist in ${dir}`, 'pick another run id');
    }
    throw e;
  }
  return { runId, dir };
}

export async function readSummary(file: string): Promise<K6Summary> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new RuntimeError(`k6 wrote no readable summary at ${file}`, 'does the scenario export handleSummary?', e);
  }
  if (!isK6Summary(parsed)) throw new RuntimeError(`${file} is not a k6 summary (no metrics)`);
  return parsed;
}

export interface OpenedRun {
  bin: string;
  runId: string;
  dir: string;
  script: string;
  /** "N VUs" or "R arrivals/s", for progress lines. */
  load: string;
  /** What run.json holds; callers add their own fields (the k6 command lines) before the first write. */
  info: Record<string, unknown>;
  /** Writes run.json: `info` plus `extra` (finish time, exit codes). */
  writeRunInfo(extra: object): Promise<void>;
}

/** What every run does before k6 starts, with one generator or K: find k6, make the run dir, write spec.json. */
export async function openRun(opts: LoadtestOptions, v: ValidOptions, ctx: LoadtestContext): Promise<OpenedRun> {
  const bin = await findK6(ctx.env ?? process.env);
  const version = await k6Version(bin);
  const { runId, dir } = await createRunDir(ctx.cwd, v);
  if (ctx.spec) await writeFile(join(dir, 'spec.json'), `${JSON.stringify(ctx.spec, null, 2)}\n`);
  const info: Record<string, unknown> = {
    runId,
    startedAt: new Date().toISOString(),
    options: opts,
    resolved: v,
    replicas: ctx.spec?.replicas ?? null,
    machine: machineInfo(version),
  };
  return {
    bin,
    runId,
    dir,
    script: scriptPath(v.scenario, ctx.scriptsDir ?? LOADTESTS_DIR),
    load: v.model === 'open' ? `${v.rate} arrivals/s` : `${v.vus} VUs`,
    info,
    writeRunInfo: (extra) => writeFile(join(dir, 'run.json'), `${JSON.stringify({ ...info, ...extra }, null, 2)}\n`),
  };
}
