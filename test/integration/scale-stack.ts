// Shared by the scale and chaos integration tests: a throwaway stack of their own (random project, free port, temp
// cwd), the real CLI as a child process, and clean-up by label.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectDocker, type DockerClient } from '../../toolkit/docker.ts';
import { down } from '../../toolkit/engine/index.ts';
import { listProjectContainers } from '../../toolkit/engine/query.ts';
import { stopWatcher } from '../../toolkit/lb/watch-process.ts';
import { stackPaths } from '../../toolkit/paths.ts';
import { loadSpec } from '../../toolkit/spec/index.ts';
import type { StackSpec } from '../../toolkit/spec/types.ts';
import { freePort } from '../helpers/net.ts';

export { freePort };

export const BIN = resolve(import.meta.dirname, '../../bin/toolkit.js');

export interface TestStack {
  project: string;
  cwd: string;
  port: number;
  docker: DockerClient;
  spec: StackSpec;
  url: string;
  /** Runs `toolkit <args> --project <project>` in the stack's cwd. */
  cli(args: string[], opts?: { onSpawn?: (pid: number) => void }): CliRun;
  inferenceNumbers(): Promise<number[]>;
  destroy(): Promise<void>;
}

export interface CliRun {
  pid: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

export async function startStack(prefix: string, replicas: number): Promise<TestStack> {
  const project = `${prefix}-${randomBytes(3).toString('hex')}`;
  const cwd = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const docker = await connectDocker();
  const port = await freePort();
  const spec = await loadSpec({ cwd, env: {}, flags: { project, replicas, port } });
  const destroy = async () => {
    // The watcher `up` started in the background: by its PID, before the containers it watches go.
    await stopWatcher(stackPaths({ cwd, project }).watchPidFile);
    await down(docker, project, { volumes: true });
    await rm(cwd, { recursive: true, force: true });
  };
  // Through the real CLI, like every later step: an in-process run bundles the services image under another tag
  // than bin/toolkit.js does, and mixing the two would replace every container on the first CLI call.
  const res = await runCli(cwd, ['up', '--replicas', String(replicas), '--port', String(port), '--project', project])
    .done;
  if (res.code !== 0) {
    await destroy();
    throw new Error(`toolkit up failed (${res.code}):\n${res.stderr}`);
  }
  return {
    project,
    cwd,
    port,
    docker,
    spec,
    url: `http://127.0.0.1:${port}`,
    cli: (args, opts) => runCli(cwd, [...args, '--project', project], opts),
    inferenceNumbers: async () =>
      (await listProjectContainers(docker, project, 'inference')).filter((c) => !c.oneoff).map((c) => c.number),
    destroy,
  };
}

function runCli(cwd: string, args: string[], opts: { onSpawn?: (pid: number) => void } = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  if (child.pid) opts.onSpawn?.(child.pid);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolveDone) =>
      child.once('close', (code, signal) =>
        resolveDone({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
      ),
  );
  return {
    pid: child.pid ?? 0,
    done,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every 100 ms until it holds or `timeoutMs` passes. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(100);
  }
  return false;
}
