// After the generator tasks ended: each task's files read back from its stdout (service logs API, any node) into
// the slice's run directory; then the services removed, and the task containers they leave on the manager (other
// nodes' agents remove their own).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { DockerClient } from '../../docker.ts';
import { RuntimeError } from '../../errors.ts';
import type { SliceExit } from '../../load/generator-exec.ts';
import { FILES } from '../../load/k6-args.ts';
import { sleep } from '../wait.ts';
import type { FinishedTask } from './generators.ts';
import { demuxStdout, parseTaskOutput, type TaskOutput } from './generators-frames.ts';
import { RUN_LABEL, TASK_FILES } from './generators-spec.ts';
import { swarmFilters } from './labels.ts';
import { removeService } from './resources.ts';

/** A task's log can lag its end by a moment on a remote node: read again, bounded, until the exit marker is in. */
const LOG_ATTEMPTS = 10;
const LOG_RETRY_MS = 500;
const IMAGE_HINT =
  'every node that may run a generator needs the k6 image: without a registry, `docker save <image> | docker load` ' +
  'on each node (or constrain the stack to nodes that have it)';

async function readLogs(docker: DockerClient, serviceId: string): Promise<string> {
  const res = (await docker.getService(serviceId).logs({ stdout: true, stderr: true, follow: false })) as unknown;
  if (Buffer.isBuffer(res)) return demuxStdout(res);
  const chunks: Buffer[] = [];
  for await (const c of res as Readable) chunks.push(Buffer.from(c as Buffer));
  return demuxStdout(Buffer.concat(chunks));
}

const tail = (text: string, n = 8) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n);

export async function collectTaskOutput(
  docker: DockerClient,
  service: { id: string; name: string },
  task: FinishedTask,
  dir: string,
): Promise<SliceExit> {
  if (task.state === 'rejected') {
    throw new RuntimeError(
      `generator service ${service.name} was rejected on ${task.node || 'its node'}: ${task.error}`,
      IMAGE_HINT,
    );
  }
  let out: TaskOutput = { files: new Map(), exitCode: null, problems: [] };
  for (let i = 0; i < LOG_ATTEMPTS; i++) {
    out = parseTaskOutput(await readLogs(docker, service.id));
    if (out.exitCode !== null) break;
    await sleep(LOG_RETRY_MS);
  }
  const text = (name: string) => out.files.get(name)?.toString('utf8') ?? '';
  const code = out.exitCode ?? task.exitCode;
  const finished = code === 0 || code === 99;
  const missing = TASK_FILES.filter((f) => !out.files.has(f));
  if (finished && (missing.length > 0 || out.problems.length > 0)) {
    throw new RuntimeError(
      `generator service ${service.name} ran k6 (exit ${code}) but its results did not come back whole: ` +
        [...missing.map((f) => `${f} missing`), ...out.problems].join('; '),
      `see \`docker service logs ${service.name}\``,
    );
  }
  for (const name of TASK_FILES) {
    const data = out.files.get(name);
    if (data) await writeFile(join(dir, name), data);
  }
  const stderr = text(FILES.log);
  const why = [
    ...(out.exitCode === null
      ? [`task ${task.state}${task.error ? `: ${task.error}` : ''} (no exit status printed)`]
      : []),
    ...out.problems,
  ];
  return {
    code,
    signal: null,
    stdout: text(FILES.stdout),
    stderr,
    stderrTail: [...why, ...tail(stderr)],
    node: task.node,
  };
}

/**
 * Removes this run's generator services (by ID), then the task containers they leave on this engine (by run
 * label): an exited task container can outlive its service, and after an interrupted run nothing it printed is
 * wanted any more, so they go by force. Other nodes' agents stop and remove their own.
 */
export async function removeGeneratorJobs(
  docker: DockerClient,
  project: string,
  runId: string,
  services: { id: string }[],
): Promise<string[]> {
  const problems: string[] = [];
  const removed = await Promise.allSettled(services.filter((s) => s.id).map((s) => removeService(docker, s.id)));
  for (const r of removed)
    if (r.status === 'rejected') problems.push(`a generator service: ${(r.reason as Error).message}`);
  const filters = swarmFilters(project, { [RUN_LABEL]: runId });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const containers = await docker.listContainers({ all: true, filters });
    if (containers.length === 0) return problems;
    const gone = await Promise.allSettled(containers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    if (Date.now() >= deadline) {
      // 404: gone already; 409: its removal is in progress. Anything else is worth saying.
      for (const g of gone) {
        const code = g.status === 'rejected' ? (g.reason as { statusCode?: number }).statusCode : undefined;
        if (g.status === 'rejected' && code !== 404 && code !== 409) problems.push((g.reason as Error).message);
      }
      return [...problems, `${containers.length} task container(s) of run ${runId} still listed after 30 s`];
    }
    await sleep(500);
  }
}
