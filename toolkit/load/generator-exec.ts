// Where the K k6 generators of one run execute. runGenerators (generators.ts) slices the load and merges what the
// slices leave in their directories; an executor only runs the slices: as processes on this machine (below), or
// as Swarm tasks (toolkit/engine/swarm/generators.ts). Results, reports and the gate never learn which ran them.
import { type K6Process, startK6 } from './k6.ts';
import { k6Args, type Segment } from './k6-args.ts';
import { GeneratorSampler } from './proc.ts';
import type { ValidOptions } from './validate.ts';

/** One k6's slice of the load and the run directory (results/<run-id>/generators/<i>) its files must end up in. */
export interface GeneratorSlice {
  index: number;
  segment: Segment;
  dir: string;
}

/** How one k6 ended, with what it printed (written to k6-stdout.txt and k6.log beside its files). */
export interface SliceExit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The last lines k6 logged, for error messages. */
  stderrTail: string[];
  /** The node that ran it, when not this machine (a Swarm task's node hostname). */
  node?: string;
}

export interface GeneratorUsage {
  /** CPU of all generators together, percent of one core; null when not measured. */
  cpuPercent: number | null;
  hostIdlePercent: number | null;
  perProcess: (number | null)[];
}

export interface GeneratorOutcome {
  /** One per slice, in slice order. */
  exits: SliceExit[];
  usage: GeneratorUsage;
  /** Why the CPU figures are missing, when the executor cannot measure them (e.g. tasks on other nodes). */
  unmeasured?: string;
}

export interface GeneratorRunRequest {
  v: ValidOptions;
  runId: string;
  /** The scenario script on this machine (an executor that ships its own copy maps it). */
  script: string;
  slices: GeneratorSlice[];
  /** k6's latest status line, when it printed one; called every few seconds. */
  onProgress(line?: string): void;
}

export interface GeneratorExecutor {
  where: 'local' | 'swarm';
  /** What the generators load, for progress lines, when it is not the options' base URL. */
  target?: string;
  /** What each slice runs, for run.json. */
  commands(req: Omit<GeneratorRunRequest, 'onProgress' | 'runId'>): string[][];
  /**
   * Runs every slice to its end, bounded in time, and leaves k6's summary.json and timeseries.csv.gz in each
   * slice's directory. Throws when it cannot; a k6 that ran and failed is an exit code, judged by the caller.
   */
  run(req: GeneratorRunRequest): Promise<GeneratorOutcome>;
}

/** Spawned k6 gets this long past the scenario's own bound (graceful stop 10 s, start-up, summary). */
export const LOCAL_DEADLINE_MARGIN_MS = 60_000;

/** K k6 processes on this machine; their CPU is sampled from /proc. */
export function localExecutor(bin: string, opts: { cwd: string; env: Record<string, string | undefined> }) {
  const executor: GeneratorExecutor = {
    where: 'local',
    commands: ({ v, script, slices }) => slices.map((s) => [bin, ...k6Args(v, s.dir, script, s.segment)]),
    async run({ v, script, slices, onProgress }) {
      const procs: K6Process[] = [];
      try {
        for (const s of slices) {
          procs.push(
            startK6(bin, k6Args(v, s.dir, script, s.segment), {
              env: { PATH: opts.env.PATH, HOME: opts.env.HOME, K6_NO_USAGE_REPORT: 'true' },
              cwd: opts.cwd,
              deadlineMs: v.durationMs + LOCAL_DEADLINE_MARGIN_MS,
              everyMs: 5000,
              // One status line is enough to show the run moves; the others print the same shape for their slice.
              onProgress: (p) => s.index === 0 && onProgress(p.line),
            }),
          );
        }
      } catch (e) {
        for (const p of procs) p.stop();
        await Promise.allSettled(procs.map((p) => p.exited));
        throw e;
      }
      const sampler = new GeneratorSampler(procs.map((p) => p.pid));
      await sampler.start();
      const settled = await Promise.allSettled(procs.map((p) => p.exited));
      const usage = await sampler.stop();
      const exits: SliceExit[] = [];
      for (const e of settled) {
        if (e.status === 'rejected') throw e.reason;
        exits.push(e.value);
      }
      return { exits, usage };
    },
  };
  return executor;
}
