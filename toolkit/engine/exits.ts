// Why a container's last run ended. Docker resets State.ExitCode (and OOMKilled) when the restart policy starts the
// container again, so for a restarted replica the answer comes from the engine's `die`/`oom` events around
// State.FinishedAt; the engine keeps only its most recent events, so an old exit may be "not recorded".
import { constants } from 'node:os';
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';

export interface ExitInfo {
  code: number | null;
  reason: string;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** A person's reading of an exit: signals by name (137 = 128 + 9 = SIGKILL), OOM, Docker's own error text. */
export function describeExit(code: number, oomKilled: boolean, error: string): string {
  const parts: string[] = [];
  if (oomKilled) parts.push('OOM killed');
  else if (code > 128 && SIGNAL_NAMES.has(code - 128)) parts.push(`killed by ${SIGNAL_NAMES.get(code - 128)}`);
  else parts.push(code === 0 ? 'exited normally' : `exited with code ${code}`);
  if (error) parts.push(error);
  return parts.join('; ');
}

export async function lastExit(docker: DockerClient, info: Docker.ContainerInspectInfo): Promise<ExitInfo | null> {
  const st = info.State;
  const hasRun = st.StartedAt !== '' && !st.StartedAt.startsWith('0001-');
  if (!hasRun) return null;
  if (!st.Running && !st.Restarting)
    return { code: st.ExitCode, reason: describeExit(st.ExitCode, st.OOMKilled, st.Error) };
  if (st.Restarting)
    return { code: st.ExitCode, reason: `${describeExit(st.ExitCode, st.OOMKilled, st.Error)}; restarting` };
  if (info.RestartCount === 0) return null;
  const finished = Date.parse(st.FinishedAt);
  const fromEvents = Number.isFinite(finished) ? await exitFromEvents(docker, info.Id, finished) : null;
  return (
    fromEvents ?? { code: null, reason: `restarted; exit at ${st.FinishedAt} no longer in the engine's event log` }
  );
}

async function exitFromEvents(docker: DockerClient, id: string, finishedMs: number): Promise<ExitInfo | null> {
  const since = Math.floor(finishedMs / 1000) - 2;
  const until = Math.ceil(finishedMs / 1000) + 2;
  let text = '';
  try {
    const stream = (await docker.getEvents({
      since,
      until: Math.min(until, Math.floor(Date.now() / 1000)),
      filters: { container: [id], event: ['die', 'oom'] },
    })) as NodeJS.ReadableStream;
    text = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => done(), 2000);
      const done = () => {
        clearTimeout(timer);
        (stream as unknown as { destroy?: () => void }).destroy?.();
        resolve(Buffer.concat(chunks).toString('utf8'));
      };
      stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
      stream.on('end', done);
      stream.on('error', done);
    });
  } catch {
    return null;
  }
  let code: number | null = null;
  let oom = false;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
      if (e.Action === 'oom') oom = true;
      if (e.Action === 'die' && e.Actor?.Attributes?.exitCode !== undefined) code = Number(e.Actor.Attributes.exitCode);
    } catch {
      // a partial line at a chunk border: the die event is what matters and is short
    }
  }
  if (code === null && !oom) return null;
  return { code, reason: describeExit(code ?? 137, oom, '') };
}
