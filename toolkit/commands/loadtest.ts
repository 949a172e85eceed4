// `toolkit loadtest`: check the stack answers, run one k6 scenario against it, print the result (or JSON), and
// fail with exit 99 when a threshold was crossed — after printing, so the numbers are always seen. On a swarm
// stack with --generators (or with --engine swarm) the generators run as Swarm tasks on the project's overlay.
import { engineKindOf } from '../engine/select.ts';
import { swarmGenerators } from '../engine/swarm/generators.ts';
import { GateFailedError, UsageError } from '../errors.ts';
import { type LoadtestContext, renderResult, runLoadtest, validateOptions } from '../load/index.ts';
import type { LoadtestOptions, LoadtestResult } from '../load/types.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';

export interface LoadtestFlags {
  scenario?: string;
  users?: string;
  rate?: string;
  duration?: string;
  batch?: string;
  threshold?: string[];
  json?: boolean;
  /** Base URL to load instead of the stack's load balancer (e.g. one replica); loopback only. */
  target?: string;
  /** k6 processes sharing the load (execution segments), merged into one result; default 1. */
  generators?: string;
  /** Where the generators run: local (processes here) or swarm (tasks); default: the running stack's engine. */
  engine?: string;
}

function int(problems: string[], flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n)) {
    problems.push(`${flag}: "${raw}" is not a whole number`);
    return undefined;
  }
  return n;
}

/** Raw flags → runner options; number syntax here, ranges and combinations in validateOptions. */
export function loadtestOptions(flags: LoadtestFlags, port: number): LoadtestOptions {
  const problems: string[] = [];
  const opts: LoadtestOptions = {
    scenario: flags.scenario ?? 'predict',
    users: int(problems, '--users', flags.users),
    rate: int(problems, '--rate', flags.rate),
    duration: flags.duration ?? '30s',
    batch: int(problems, '--batch', flags.batch) ?? 1,
    thresholds: flags.threshold ?? [],
    baseUrl: flags.target ?? `http://127.0.0.1:${port}`,
  };
  const generators = int(problems, '--generators', flags.generators);
  if (generators !== undefined) opts.generators = generators;
  if (problems.length > 0) throw new UsageError(problems.join('\n'), 'see toolkit loadtest --help');
  validateOptions(opts);
  return opts;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** nginx answers /lb/ping itself; a bare replica (--target) answers /health. */
async function checkReachable(baseUrl: string, port: number, target: boolean): Promise<void> {
  if ((await answers(`${baseUrl}/lb/ping`)) || (await answers(`${baseUrl}/health`))) return;
  if (target) throw new UsageError(`nothing answers /lb/ping or /health at ${baseUrl}`);
  throw new UsageError(`no stack running on 127.0.0.1:${port}; start one with: toolkit up --replicas 3`);
}

/**
 * Generators go to the swarm when asked with --engine swarm, or when --generators is given for a stack that runs
 * there (saved engine, config or TOOLKIT_ENGINE). A plain `loadtest` keeps its one local k6.
 */
async function onSwarm(spec: Awaited<ReturnType<typeof specFromOptions>>, opts: LoadtestFlags): Promise<boolean> {
  if (opts.engine === undefined && opts.generators === undefined) return false;
  return (await engineKindOf(spec, opts.engine)) === 'swarm';
}

export async function loadtestCommand(opts: SpecOptions & LoadtestFlags, io: CommandIO): Promise<void> {
  const spec = await specFromOptions(opts, io);
  const options = loadtestOptions(opts, spec.port);
  const ctx: LoadtestContext = { progress: io.progress, cwd: io.cwd, spec, env: io.env };
  let result: LoadtestResult;
  if (await onSwarm(spec, opts)) {
    if (opts.target !== undefined) {
      throw new UsageError(
        '--target with generators as Swarm tasks: tasks load the balancer on the project overlay, not a loopback URL',
        'leave out --target, or run the generators locally with --engine local',
      );
    }
    // Ctrl-C must not leave generators running on the swarm: the signal aborts the wait and the services are removed.
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const docker = await io.docker();
      const generators = await swarmGenerators({
        docker,
        spec,
        progress: io.progress,
        env: io.env,
        signal: abort.signal,
      });
      result = await runLoadtest(options, { ...ctx, generators });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } else {
    await checkReachable(options.baseUrl.replace(/\/+$/, ''), spec.port, opts.target !== undefined);
    result = await runLoadtest(options, ctx);
  }
  if (opts.json) printJson(io, result);
  else io.out(renderResult(result));
  const failed = result.thresholds.filter((t) => !t.ok);
  if (failed.length > 0) {
    throw new GateFailedError(
      `thresholds crossed: ${failed.map((t) => `${t.metric} ${t.expression}`).join(', ')}`,
      `results in ${result.dir}`,
    );
  }
}
