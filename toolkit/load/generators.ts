// runGenerators: one scenario shared by K k6 generators (local processes, or Swarm tasks when ctx.generators says
// so), each running its own --execution-segment slice into results/<run-id>/generators/<i>/, then ONE merged
// result in results/<run-id>/ that reports, sweeps and the gate read like any other. Every k6 judged only its slice, so the verdict is computed again over the merged samples
// and k6's own per-process verdicts never decide the outcome.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { RuntimeError } from '../errors.ts';
import { type GeneratorSlice, LOCAL_DEADLINE_MARGIN_MS, localExecutor } from './generator-exec.ts';
import { executionSegments, FILES } from './k6-args.ts';
import { mergeGenerators, readGeneratorCsv, wantedMetrics } from './merge.ts';
import { csvLines, toShares } from './replicas.ts';
import type { LoadtestContext } from './run.ts';
import { openRun, readSummary } from './run-dir.ts';
import { extractSummary, type K6Summary } from './summary.ts';
import { judgeGenerator } from './trust.ts';
import type { GeneratorRun, LoadtestOptions, LoadtestResult } from './types.ts';
import type { ValidOptions } from './validate.ts';

export const GENERATORS_DIR = 'generators';

export async function runGenerators(
  opts: LoadtestOptions,
  v: ValidOptions,
  ctx: LoadtestContext,
): Promise<LoadtestResult> {
  const k = v.generators ?? 1;
  const { bin, runId, dir, script, load, info, writeRunInfo } = await openRun(opts, v, ctx);
  const executor = ctx.generators ?? localExecutor(bin, { cwd: ctx.cwd, env: ctx.env ?? process.env });
  const slices: GeneratorSlice[] = executionSegments(k).map((segment, index) => ({
    index,
    segment,
    dir: join(dir, GENERATORS_DIR, String(index)),
  }));
  for (const s of slices) await mkdir(s.dir, { recursive: true });
  Object.assign(info, {
    generators: k,
    generatorsOn: executor.where,
    ...(executor.target ? { target: executor.target } : {}),
    thresholdVerdict: 'merged',
    commands: executor.commands({ v, script, slices }),
  });
  await writeRunInfo({});

  const on = executor.where === 'swarm' ? ' as Swarm tasks' : '';
  ctx.progress.step(
    `k6 ${v.scenario}: ${load} for ${v.duration} against ${executor.target ?? v.baseUrl}, ${k} generators${on} (run ${runId})`,
  );
  const t0 = Date.now();
  const {
    exits: k6Exits,
    usage,
    unmeasured,
  } = await executor.run({
    v,
    runId,
    script,
    slices,
    onProgress: (line) =>
      ctx.progress.info(
        `[generator 0 of ${k}] ${line ?? `k6 ${v.scenario}: ${((Date.now() - t0) / 1000).toFixed(0)}s elapsed`}`,
      ),
  });
  if (k6Exits.length !== k) throw new RuntimeError(`${k} generators ran but ${k6Exits.length} reported`);
  for (const [i, e] of k6Exits.entries()) {
    await writeFile(join(slices[i].dir, FILES.stdout), e.stdout);
    await writeFile(join(slices[i].dir, FILES.log), e.stderr);
  }
  await writeRunInfo({
    finishedAt: new Date().toISOString(),
    k6Exits: k6Exits.map((e) => ({ code: e.code, signal: e.signal })),
  });
  // 0 and 99 (thresholds crossed on that slice) are both a finished run; anything else lost part of the load.
  const failed = k6Exits.findIndex((e) => e.code !== 0 && e.code !== 99);
  if (failed >= 0) {
    const e = k6Exits[failed];
    const why =
      e.signal && executor.where === 'local'
        ? `was stopped (${e.signal}) after ${(v.durationMs + LOCAL_DEADLINE_MARGIN_MS) / 1000}s`
        : e.signal
          ? `was stopped (${e.signal})`
          : `exited ${e.code}`;
    throw new RuntimeError(
      `k6 generator ${failed} of ${k} ${why} running ${v.scenario}:\n  ${e.stderrTail.join('\n  ')}`,
      `full log: ${join(slices[failed].dir, FILES.log)}`,
    );
  }

  const summaries: K6Summary[] = [];
  for (const s of slices) summaries.push(await readSummary(join(s.dir, FILES.summary)));
  const wanted = wantedMetrics(v.thresholds);
  const parts = await Promise.all(
    slices.map(async (s, i) => {
      const file = join(s.dir, FILES.timeseries);
      try {
        return await readGeneratorCsv(csvLines(file), wanted, (summaries[i].state?.testRunDurationMs ?? 0) / 1000);
      } catch (e) {
        throw new RuntimeError(`could not read k6's time series ${file}: ${(e as Error).message}`);
      }
    }),
  );
  const merged = mergeGenerators(parts, v.thresholds);
  // summary.json stays where single runs keep it, in k6's shape, marked as the toolkit's merge rather than k6's.
  const mergedSummary = { ...merged.summary, merged: { generators: k, from: slices.map((s) => relative(dir, s.dir)) } };
  await writeFile(join(dir, FILES.summary), `${JSON.stringify(mergedSummary, null, 2)}\n`);
  const figures = extractSummary(merged.summary);
  const generator = judgeGenerator({ ...usage, droppedIterations: figures.droppedIterations }, unmeasured);
  const generatorRuns: GeneratorRun[] = slices.map((s, i) => {
    const own = extractSummary(summaries[i]);
    return {
      index: s.index,
      segment: s.segment.segment,
      dir: s.dir,
      requests: own.requests,
      rps: own.rps,
      droppedIterations: own.droppedIterations,
      cpuPercent: usage.perProcess[i] ?? null,
      k6Exit: { code: k6Exits[i].code, signal: k6Exits[i].signal },
      k6ThresholdsOk: own.thresholds.every((t) => t.ok),
      ...(k6Exits[i].node ? { node: k6Exits[i].node } : {}),
    };
  });
  const result: LoadtestResult = {
    runId,
    dir,
    model: v.model,
    scenario: v.scenario,
    ...(v.vus !== undefined ? { vus: v.vus } : {}),
    ...(v.rate !== undefined ? { rate: v.rate } : {}),
    ...figures,
    perReplica: toShares(merged.replicas),
    generator,
    generators: k,
    thresholdVerdict: 'merged',
    generatorRuns,
  };
  await writeFile(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (!generator.trusted) ctx.progress.warn(`UNTRUSTED result: ${generator.reasons.join('; ')}`);
  return result;
}
