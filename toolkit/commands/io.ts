// What every command receives: where it runs, its environment, where output goes, and how to reach Docker.
// Tests build their own CommandIO; the bin uses defaultIO().
import { connectDocker, type DockerClient } from '../docker.ts';
import { type Progress, stderrProgress } from '../progress.ts';
import { loadSpec } from '../spec/index.ts';
import type { StackSpec } from '../spec/types.ts';

export interface CommandIO {
  cwd: string;
  env: Record<string, string | undefined>;
  out(text: string): void;
  progress: Progress;
  docker(): Promise<DockerClient>;
}

export function defaultIO(): CommandIO {
  let client: Promise<DockerClient> | undefined;
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    progress: stderrProgress(),
    // Built once, on first use, and shared by everything the command calls.
    docker: () => {
      client ??= connectDocker(process.env);
      return client;
    },
  };
}

/** Raw option values as commander hands them over; loadSpec validates and reports every problem at once. */
export interface SpecOptions {
  project?: string;
  config?: string;
  replicas?: string;
  port?: string;
  bind?: string;
  strategy?: string;
  hashKey?: string;
  cpus?: string;
  memory?: string;
  model?: string;
  gracePeriod?: string;
  maxReplicas?: string;
  bootstrapImages?: boolean;
}

export function specFromOptions(opts: SpecOptions, io: CommandIO): Promise<StackSpec> {
  const { config, ...flags } = opts;
  return loadSpec({ cwd: io.cwd, env: io.env, flags, configPath: config });
}

export function printJson(io: CommandIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
