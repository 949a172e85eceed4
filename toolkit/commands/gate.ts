// `toolkit gate`: validate everything (gate config, baseline, comparability) before any load, measure or read a
// run, evaluate the checks, write the outputs, and exit 99 when the gate fails — after printing, so the numbers
// are always seen. Inconclusive regressions exit 0 with a warning unless the config says otherwise.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  type Baseline,
  baselineFromSweep,
  checkCompatibility,
  type LoadShape,
  loadBaseline,
  provenanceOf,
  readRecordedRun,
} from '../baseline/index.ts';
import { GateFailedError, RuntimeError, UsageError } from '../errors.ts';
import { DEFAULT_MAX_ROUNDS, type GateConfig } from '../gate/config.ts';
import {
  checkBaselineCovers,
  type GateReport,
  loadGateConfig,
  renderGateJson,
  renderGateJunit,
  renderGateMarkdown,
  renderGateTerminal,
  runGate,
} from '../gate/index.ts';
import { type SideFlags, sidesFromFlags } from '../gate/side-spec.ts';
import { type SideLauncher, sideLauncher } from '../gate/sides.ts';
import { planSides } from '../gate/sides-preflight.ts';
import { DEFAULT_POLICY } from '../gate/verdict.ts';
import { runLoadtest, validateOptions } from '../load/index.ts';
import { findK6, k6Version } from '../load/k6.ts';
import { machineInfo } from '../load/run-info.ts';
import type { LoadtestOptions } from '../load/types.ts';
import type { StackSpec } from '../spec/types.ts';
import { liveSweepDeps } from '../sweep/live.ts';
import type { SweepDeps, SweepResult } from '../sweep/types.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export interface GateFlags extends SideFlags {
  /** The gate config (default gate.yaml); the stack's own config file is --stack-config. */
  config?: string;
  stackConfig?: string;
  baseline?: string;
  baselineRun?: string;
  /** Judge this recorded run instead of measuring. */
  run?: string;
  /** Load this loopback URL (one fixed service) instead of the stack; overrides run.target. */
  target?: string;
  markdown?: string;
  junit?: string;
  json?: boolean;
  resultsDir?: string;
}

export type GateDepsFactory = (spec: StackSpec, io: CommandIO) => Promise<SweepDeps<LoadtestOptions>>;

export async function gateCommand(
  opts: Omit<SpecOptions, 'config'> & GateFlags,
  io: CommandIO,
  makeDeps: GateDepsFactory = liveSweepDeps,
): Promise<GateReport> {
  const {
    config: gateFile,
    stackConfig,
    baseline: baselineFile,
    baselineRun,
    run,
    target,
    markdown,
    junit,
    json,
    resultsDir,
    baselineImage,
    candidateImage,
    baselineCommit,
    candidateCommit,
    ...specOpts
  } = opts;
  if (baselineFile !== undefined && baselineRun !== undefined) {
    throw new UsageError(
      '--baseline and --baseline-run together: give one baseline',
      'a file from `toolkit baseline save`, or a run id',
    );
  }
  const config = await loadGateConfig(resolve(io.cwd, gateFile ?? 'gate.yaml'));
  if (target !== undefined) {
    if (config.run.replicas.length > 1)
      throw new UsageError(
        `--target is one fixed service, but run.replicas in ${config.file} lists ${config.run.replicas.join(', ')}`,
      );
    config.run.target = target;
  }
  const withBaseline = baselineFile !== undefined || baselineRun !== undefined;
  applySideFlags(config, { baselineImage, candidateImage, baselineCommit, candidateCommit }, withBaseline);
  if (run !== undefined && config.regression?.compare) {
    throw new UsageError(
      `--run judges a recorded run, but ${config.file} compares two live sides (regression.compare)`,
      'leave out --run, or use a stored baseline',
    );
  }
  // A baseline on the command line asks for a regression check even when the config has none.
  if (withBaseline && !config.regression) config.regression = defaultRegression();
  const spec = await specFromOptions({ ...specOpts, config: stackConfig }, io);
  const results = resolve(io.cwd, resultsDir ?? 'results');
  const load = validLoad(config, spec);
  const recorded = run === undefined ? undefined : await readRecordedRun(results, run);

  const baseline = await resolveBaseline(config, baselineFile, baselineRun, results, io.cwd);
  const warnings: string[] = [];
  if (baseline) {
    const counts = recorded?.counts ?? config.run.replicas;
    checkBaselineCovers(config, baseline, counts);
    const now = await currentConditions(config, load, spec, recorded, io);
    const compat = checkCompatibility(baseline, now);
    if (compat.errors.length) {
      throw new UsageError(
        `the baseline (run ${baseline.fromRun}) is not comparable:\n  ${compat.errors.join('\n  ')}`,
        'save a baseline measured with the same scenario and load (toolkit baseline save <run-id>)',
      );
    }
    for (const w of compat.warnings) io.progress.warn(`!!! ${w}`);
    warnings.push(...compat.warnings);
  }

  // Last of the checks: images in the engine, commits in the repo, the stack up. Nothing was built or started yet.
  const compare = config.regression?.compare;
  const plan = compare ? await planSides({ compare, named: spec, env: io.env, docker: io.docker }) : null;
  const sides = plan ? sideLauncher(plan, { progress: io.progress, tmpDir: io.env.TMPDIR }) : undefined;

  const deps = recorded ? null : config.run.target ? targetDeps(io) : await makeDeps(spec, io);
  const report = await withSideCleanup(sides, () =>
    runGate({ config, baseline, recorded, load, resultsDir: results, warnings, sides }, deps, io.progress),
  );
  await writeOutputs(report, { markdown, junit, results }, io);
  if (json) printJson(io, report);
  else io.out(renderGateTerminal(report));
  if (report.exitCode === 99) {
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
    throw new GateFailedError(
      `gate failed: ${failed.length ? failed.join(', ') : 'the regression stayed inconclusive'}`,
      `config ${config.file}; run ${report.runId}`,
    );
  }
  return report;
}

/** --baseline-image … replace a side of regression.compare (a regression check is added when the config has none). */
function applySideFlags(config: GateConfig, flags: SideFlags, withBaseline: boolean): void {
  const sides = sidesFromFlags(flags, config.regression?.compare, config.file);
  if (!sides) return;
  if (withBaseline) {
    throw new UsageError(
      'a stored baseline (--baseline / --baseline-run) and compare sides on the command line: give one kind of baseline',
    );
  }
  config.regression ??= defaultRegression();
  config.regression.compare = { ...sides, mode: config.regression.compare?.mode ?? 'simultaneous' };
}

/** Ctrl-C (or SIGTERM) while sides run: remove their containers at once; the gate then fails on its own. */
async function withSideCleanup<T>(sides: SideLauncher | undefined, fn: () => Promise<T>): Promise<T> {
  if (!sides) return fn();
  let interrupted: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    interrupted = signal;
    void sides.abort().catch(() => undefined);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn();
  } catch (err) {
    if (!interrupted) throw err;
    await sides.abort();
    throw new RuntimeError(`interrupted (${interrupted}): the gate-side containers were removed`, undefined, err);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function defaultRegression(): NonNullable<GateConfig['regression']> {
  return {
    metric: 'rps',
    policy: { ...DEFAULT_POLICY },
    samples: 6,
    maxRounds: DEFAULT_MAX_ROUNDS,
    inconclusive: 'warn',
  };
}

function validLoad(config: GateConfig, spec: StackSpec): LoadtestOptions {
  const r = config.run;
  const load: LoadtestOptions = {
    scenario: r.scenario,
    users: r.users,
    rate: r.rate,
    duration: r.duration,
    batch: r.batch,
    thresholds: [],
    baseUrl: r.target ?? `http://127.0.0.1:${spec.port}`,
  };
  validateOptions(load);
  return load;
}

async function resolveBaseline(
  config: GateConfig,
  file: string | undefined,
  runId: string | undefined,
  results: string,
  cwd: string,
): Promise<Baseline | null> {
  if (runId !== undefined) {
    const sweep = await readRecordedRun(results, runId);
    return baselineFromSweep(sweep, await provenanceOf(sweep));
  }
  const rc = config.regression;
  if (!rc || rc.compare) return null;
  const path = file ?? rc.baseline;
  if (path === undefined) {
    throw new UsageError(
      `${config.file}: the regression check needs a baseline, and none was given`,
      'pass --baseline <file> or --baseline-run <run-id>, or set regression.baseline',
    );
  }
  return loadBaseline(resolve(cwd, path));
}

async function currentConditions(
  config: GateConfig,
  load: LoadtestOptions,
  spec: StackSpec,
  recorded: SweepResult | undefined,
  io: CommandIO,
) {
  if (recorded) {
    const prov = await provenanceOf(recorded);
    return { load: { ...recorded.load, batch: prov.batch }, spec: prov.spec, machine: prov.machine };
  }
  const v = validateOptions(load);
  const shape: LoadShape = {
    scenario: v.scenario,
    model: v.model,
    vus: v.vus,
    rate: v.rate,
    batch: v.batch,
    durationSec: v.durationMs / 1000,
  };
  const { cwd: _cwd, ...rest } = spec;
  const machine = machineInfo(await k6Version(await findK6(io.env)));
  // A bare --target is some service on loopback: the stack spec does not describe it.
  return { load: shape, spec: config.run.target ? null : (rest as Record<string, unknown>), machine };
}

function targetDeps(io: CommandIO): SweepDeps<LoadtestOptions> {
  return {
    scaleTo: async () => {},
    loadtest: (opts) => runLoadtest(opts, { progress: io.progress, cwd: io.cwd, env: io.env }),
    replicaStats: async () => [],
  };
}

async function writeOutputs(
  report: GateReport,
  o: { markdown?: string; junit?: string; results: string },
  io: CommandIO,
) {
  const md = renderGateMarkdown(report);
  const write = async (file: string, text: string) => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  };
  if (o.markdown) await write(resolve(io.cwd, o.markdown), md);
  if (o.junit) await write(resolve(io.cwd, o.junit), renderGateJunit(report));
  if (io.env.GITHUB_STEP_SUMMARY) await appendFile(io.env.GITHUB_STEP_SUMMARY, md);
  // Kept next to the measured runs, so `toolkit report` users find the verdict with the data.
  const dir = join(o.results, report.runId);
  await mkdir(dir, { recursive: true });
  await write(join(dir, 'gate.json'), renderGateJson(report));
}
