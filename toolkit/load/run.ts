// runLoadtest: validate → run k6 on one scenario → collect its summary, time series and the generator's health
// into results/<run-id>/ → one LoadtestResult. Threshold failures are data here; the CLI decides the exit code.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '../errors.ts';
import type { Progress } from '../progress.ts';
import type { StackSpec } from '../spec/types.ts';
import type { GeneratorExecutor } from './generator-exec.ts';
import { runGenerators } from './generators.ts';
import { k6CommandLine, startK6 } from './k6.ts';
import { FILES, k6Args } from './k6-args.ts';
import { GeneratorSampler } from './proc.ts';
import { perReplicaFromCsv } from './replicas.ts';
import { openRun, readSummary } from './run-dir.ts';
import { extractSummary } from './summary.ts';
import { judgeGenerator } from './trust.ts';
import type { LoadtestOptions, LoadtestResult } from './types.ts';
import { validateOptions } from './validate.ts';

export interface LoadtestContext {
  progress: Progress;
  cwd: string;
  spec?: StackSpec;
  /** Where to look for k6 (K6_BIN, PATH, HOME); default process.env. */
  env?: Record<string, string | undefined>;
  /** Directory holding the scenario scripts; default the toolkit's own loadtests/. */
  scriptsDir?: string;
  /**
   * Where generators run when not as local processes (Swarm tasks: toolkit/engine/swarm/generators.ts). Given,
   * the run goes through the generators path even with one generator, so its files come back the same way.
   */
  generators?: GeneratorExecutor;
}

export async function runLoadtest(opts: LoadtestOptions, ctx: LoadtestContext): Promise<LoadtestResult> {
  const v = validateOptions(opts);
  if (v.generators !== undefined || ctx.generators) return runGenerators(opts, v, ctx);
  const env = ctx.env ?? process.env;
  const { bin, runId, dir, script, load, info, writeRunInfo } = await openRun(opts, v, ctx);
  const args = k6Args(v, dir, script);
  info.command = k6CommandLine(bin, args, v.cpus);
  await writeRunInfo({});

  ctx.progress.step(`k6 ${v.scenario}: ${load} for ${v.duration} against ${v.baseUrl} (run ${runId})`);
  const t0 = Date.now();
  const k6 = startK6(bin, args, {
    env: { PATH: env.PATH, HOME: env.HOME, K6_NO_USAGE_REPORT: 'true' },
    cwd: ctx.cwd,
    // The script's own bound plus graceful stop (10 s) and start-up/summary slack.
    deadlineMs: v.durationMs + 60_000,
    everyMs: 5000,
    cpus: v.cpus,
    onProgress: (p) =>
      ctx.progress.info(p.line ?? `k6 ${v.scenario}: ${((Date.now() - t0) / 1000).toFixed(0)}s elapsed`),
  });
  const sampler = new GeneratorSampler(k6.pid);
  await sampler.start();
  const exit = await k6.exited;
  const usage = await sampler.stop();
  await writeFile(join(dir, FILES.stdout), exit.stdout);
  await writeFile(join(dir, FILES.log), exit.stderr);
  await writeRunInfo({ finishedAt: new Date().toISOString(), k6Exit: { code: exit.code, signal: exit.signal } });

  // 0: passed; 99: thresholds crossed (a result, not an error). Anything else: k6 could not do the run.
  if (exit.code !== 0 && exit.code !== 99) {
    const why = exit.signal ? `was stopped (${exit.signal}) after ${v.durationMs / 1000 + 60}s` : `exited ${exit.code}`;
    throw new RuntimeError(
      `k6 ${why} running ${v.scenario}:\n  ${exit.stderrTail.join('\n  ')}`,
      `full log: ${join(dir, FILES.log)}`,
    );
  }
  const summary = await readSummary(join(dir, FILES.summary));
  const figures = extractSummary(summary);
  const perReplica = await perReplicaFromCsv(join(dir, FILES.timeseries)).catch((e: unknown) => {
    throw new RuntimeError(`could not read k6's time series ${join(dir, FILES.timeseries)}: ${(e as Error).message}`);
  });
  const generator = judgeGenerator({ ...usage, droppedIterations: figures.droppedIterations });
  const result: LoadtestResult = {
    runId,
    dir,
    model: v.model,
    scenario: v.scenario,
    ...(v.vus !== undefined ? { vus: v.vus } : {}),
    ...(v.rate !== undefined ? { rate: v.rate } : {}),
    ...figures,
    perReplica,
    generator,
  };
  await writeFile(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (!generator.trusted) ctx.progress.warn(`UNTRUSTED result: ${generator.reasons.join('; ')}`);
  return result;
}
