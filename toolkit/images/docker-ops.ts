// Thin wrappers over dockerode's image calls: inspect, pull with a deadline, import, build from a directory.
// They turn the engine's JSON progress streams into Progress lines and typed errors.
import type { Readable } from 'node:stream';
import tar from 'tar-fs';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import type { Progress } from '../progress.ts';

interface StreamEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** The image ID for a reference, or undefined when the engine does not have it. */
export async function imageId(docker: DockerClient, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw new RuntimeError(`cannot inspect image ${ref}: ${(err as Error).message}`, undefined, err);
  }
}

function follow(docker: DockerClient, stream: Readable, onEvent: (e: StreamEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (event: StreamEvent) => {
        onEvent(event);
      },
    );
  });
}

/** Pull with a deadline: without a registry a pull may fail at once or hang; either way we move on. */
export async function tryPull(docker: DockerClient, ref: string, timeoutMs: number): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const stream = (await docker.pull(ref, { abortSignal: abort.signal })) as Readable;
    let failed = false;
    await follow(docker, stream, (e) => {
      if (e.error) failed = true;
    });
    return !failed && (await imageId(docker, ref)) !== undefined;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** `docker import` of a root filesystem tar stream, with Dockerfile-style changes (ENV, CMD, LABEL). */
export async function importRootfs(
  docker: DockerClient,
  rootfsTar: Readable,
  ref: string,
  changes: string[],
): Promise<string> {
  const [repo, tag] = splitRef(ref);
  const stream = (await docker.importImage(rootfsTar, { repo, tag, changes })) as unknown as Readable;
  let error: string | undefined;
  await follow(docker, stream, (e) => {
    if (e.error) error = e.errorDetail?.message ?? e.error;
  });
  if (error) throw new RuntimeError(`docker import of ${ref} failed: ${error}`);
  const id = await imageId(docker, ref);
  if (!id) throw new RuntimeError(`docker import of ${ref} finished but the image is missing`);
  return id;
}

export interface BuildRequest {
  contextDir: string;
  tag: string;
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * Build through the Engine API from a staging directory. On failure the error carries the output of the
 * step that failed (everything since the last `Step N/M` line), which is what a user needs to see.
 */
export async function buildFromDir(docker: DockerClient, req: BuildRequest, progress: Progress): Promise<string> {
  // tar-fs returns a streamx stream; it pipes like a Node stream, which is all dockerode needs.
  const context = tar.pack(req.contextDir) as unknown as NodeJS.ReadableStream;
  const stream = (await docker.buildImage(context, {
    t: req.tag,
    dockerfile: req.dockerfile ?? 'Dockerfile',
    buildargs: req.buildArgs ?? {},
    labels: req.labels ?? {},
    rm: true,
    forcerm: true,
  })) as unknown as Readable;
  let stepOutput: string[] = [];
  let error: string | undefined;
  try {
    await follow(docker, stream, (e) => {
      if (e.error) error = e.errorDetail?.message ?? e.error;
      for (const line of (e.stream ?? '').split('\n')) {
        const text = line.trimEnd();
        if (!text) continue;
        if (/^Step \d+\/\d+ :/.test(text)) {
          stepOutput = [];
          progress.info(text);
        }
        stepOutput.push(text);
      }
    });
  } catch (err) {
    error = (err as Error).message;
  }
  if (error) {
    const tail = stepOutput.slice(-30).join('\n');
    throw new RuntimeError(
      `building ${req.tag} failed: ${error}${tail ? `\n${tail}` : ''}`,
      'the output above is the failing Dockerfile step; fix it and run the command again (finished steps are cached)',
    );
  }
  const id = await imageId(docker, req.tag);
  if (!id) throw new RuntimeError(`building ${req.tag} finished but the image is missing`);
  return id;
}

export function splitRef(ref: string): [repo: string, tag: string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}
