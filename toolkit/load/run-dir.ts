// results/<run-id>/: made once per run (an existing id is refused, never overwritten), and k6's summary read back.
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RuntimeError, UsageError } from '../errors.ts';
import { makeRunId } from './run-info.ts';
import { isK6Summary, type K6Summary } from './summary.ts';
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
