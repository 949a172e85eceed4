// `chaos pause`: freeze a replica (cgroup freezer) for a while — it keeps its connections but answers nothing, the
// way a stalled process or a long GC pause looks to nginx — then thaw it.
import type { DockerClient } from '../docker.ts';
import { UsageError } from '../errors.ts';
import { pickReplica, type TargetChoice } from './target.ts';

export interface PauseResult {
  replica: number;
  container: string;
  pausedMs: number;
}

export const MAX_PAUSE_MS = 10 * 60_000;

/** `5s`, `500ms`, `2m` or plain seconds; at most 10 minutes. */
export function parseDurationMs(raw: string | undefined, fallbackMs = 5000): number {
  if (raw === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`--for "${raw}" is not a duration like 5s, 500ms or 2m`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (ms <= 0 || ms > MAX_PAUSE_MS) throw new UsageError(`--for ${raw} must be more than 0 and at most 10m`);
  return ms;
}

export async function pauseReplica(
  docker: DockerClient,
  project: string,
  choice: TargetChoice,
  forMs: number,
  signal?: AbortSignal,
): Promise<PauseResult> {
  const c = await pickReplica(docker, project, choice);
  const container = docker.getContainer(c.id);
  await container.pause();
  const t0 = Date.now();
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, forMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    // Thawed whatever happens here (an interrupt included); a later converge replaces a container left paused.
    await container.unpause();
  }
  return { replica: c.number, container: c.name, pausedMs: Date.now() - t0 };
}
