// `toolkit report [run-id]`: re-render a recorded run (the latest when no id is given) from results/<run-id>/;
// `--compare <a> <b>`: two runs side by side. Rendering only: nothing is measured or scaled.
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { compareModels, listRuns, loadRun, renderComparison, renderTerminal, writeReports } from '../report/index.ts';
import { type CommandIO, printJson } from './io.ts';

export interface ReportFlags {
  /** Two run ids (or one, compared against the positional run id). */
  compare?: string[];
  json?: boolean;
  /** Where run directories are, relative to cwd (default `results`). */
  resultsDir?: string;
}

export async function reportCommand(runId: string | undefined, opts: ReportFlags, io: CommandIO): Promise<void> {
  const results = resolve(io.cwd, opts.resultsDir ?? 'results');
  if (opts.compare !== undefined) return compare(results, runId, opts, io);

  const id = runId ?? (await latestRun(results));
  const run = await loadRun(results, id);
  const files = await writeReports(run.dir, run.model);
  if (opts.json) return printJson(io, { ...run.model, dir: run.dir, files });
  io.out(renderTerminal(run.model));
  io.out(`\nreport: ${files.html}\n        ${files.markdown}  ${files.junit}`);
}

async function compare(results: string, runId: string | undefined, opts: ReportFlags, io: CommandIO): Promise<void> {
  const ids = [...(runId === undefined ? [] : [runId]), ...(opts.compare ?? [])];
  if (ids.length !== 2) {
    throw new UsageError(
      `--compare needs exactly two run ids, got ${ids.length}${ids.length ? ` (${ids.join(', ')})` : ''}`,
      'toolkit report --compare <run-a> <run-b>',
    );
  }
  if (ids[0] === ids[1]) throw new UsageError(`--compare: both run ids are ${ids[0]}`, 'give two different runs');
  const [a, b] = await Promise.all(ids.map((id) => loadRun(results, id)));
  const comparison = compareModels(a.model, b.model);
  if (opts.json) return printJson(io, comparison);
  io.out(renderComparison(comparison));
}

async function latestRun(results: string): Promise<string> {
  const runs = await listRuns(results);
  if (runs.length === 0) {
    throw new UsageError(`no recorded runs in ${results}`, 'run `toolkit sweep` or `toolkit loadtest` first');
  }
  return runs[runs.length - 1].runId;
}
