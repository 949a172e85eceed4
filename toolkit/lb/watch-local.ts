// The local engine's side of `toolkit lb watch`: which inference containers should be upstream now (running, on
// the project network, ready), and Docker's container events for them, so a pass runs as soon as one dies,
// starts or changes health instead of at the next timer tick.
import type { DockerClient } from '../docker.ts';
import { LABEL, projectFilters } from '../engine/labels.ts';
import { ipOnNetwork, listProjectContainers } from '../engine/query.ts';
import type { ReadyReplica } from '../engine/rotation.ts';
import { CONTAINER_PORTS } from '../spec/service-defs.ts';
import { belongsUpstream, healthEvidence, isTrigger, type ReplicaSeen, TRIGGER_EVENTS, whyOut } from './watch-plan.ts';

export interface WantedUpstream {
  upstream: ReadyReplica[];
  /** Replicas that run but do not serve yet: worth re-checking soon, as no event says when they become ready. */
  pending: number;
  /** Why each replica that is not upstream is not, by name (for the log). */
  why: Record<string, string>;
}

/** `current`: what nginx routes to now (the recorded rotation), which a slow probe does not change. */
export async function localWanted(
  docker: DockerClient,
  project: string,
  current: readonly ReadyReplica[],
): Promise<WantedUpstream> {
  const list = (await listProjectContainers(docker, project, 'inference')).filter((c) => !c.oneoff);
  const seen = await Promise.all(
    list.map(async (c): Promise<ReplicaSeen | null> => {
      const info = await docker
        .getContainer(c.id)
        .inspect()
        .catch(() => null); // removed between list and inspect: gone
      if (!info) return null;
      const ip = ipOnNetwork(info, project);
      const address = ip ? `${ip}:${CONTAINER_PORTS.inference}` : '';
      const running = info.State.Running && !info.State.Paused && !info.State.Restarting;
      return {
        number: c.number,
        name: c.name,
        address,
        state: running ? 'running' : info.State.Status,
        health: healthEvidence(info.State.Health?.Status, info.State.Health?.FailingStreak),
        probe: running && address ? await probeReady(`http://${address}/ready`) : 'unreachable',
        upstream: current.some((r) => r.number === c.number && r.address === address),
      };
    }),
  );
  const replicas = seen.filter((r): r is ReplicaSeen => r !== null);
  const upstream = replicas
    .filter(belongsUpstream)
    .map((r) => ({ number: r.number, name: r.name, address: r.address }))
    .sort((a, b) => a.number - b.number);
  const out = replicas.filter((r) => !belongsUpstream(r));
  const pending = out.filter((r) => r.state === 'running').length;
  return { upstream, pending, why: Object.fromEntries(out.map((r) => [r.name, whyOut(r)])) };
}

const PROBE_TIMEOUT_MS = 1000;

async function probeReady(url: string): Promise<ReplicaSeen['probe']> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.status === 200 ? 'ready' : 'not-ready';
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
  }
}

/**
 * Calls `onTrigger` for every container event of the project's inference replicas that can change who serves.
 * The stream is re-opened (after a pause) when the daemon closes it; the caller's timer covers what falls in
 * between. Ends when `signal` aborts.
 */
export function watchLocalEvents(
  docker: DockerClient,
  project: string,
  onTrigger: (action: string, container: string) => void,
  onProblem: (message: string) => void,
  signal: AbortSignal,
): void {
  const filters = {
    ...projectFilters(project, { [LABEL.service]: 'inference' }),
    type: ['container' as const],
    event: TRIGGER_EVENTS,
  };
  const open = async (): Promise<void> => {
    if (signal.aborted) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.getEvents({ filters });
    } catch (err) {
      onProblem(`cannot subscribe to Docker events: ${(err as Error).message}`);
      setTimeout(() => void open(), 5000).unref();
      return;
    }
    const close = () => (stream as unknown as { destroy?: () => void }).destroy?.();
    // Aborted while the request was on its way: no listener would ever close this stream.
    if (signal.aborted) return close();
    signal.addEventListener('abort', close, { once: true });
    let buffered = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      // The API sends one JSON object per line, but a chunk may hold several or end mid-object.
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const ev = parseEvent(line);
        if (ev && isTrigger(ev.action)) onTrigger(ev.action, ev.name);
      }
    });
    let reopened = false;
    const reopen = (why: string) => {
      signal.removeEventListener('abort', close);
      if (reopened || signal.aborted) return;
      reopened = true;
      onProblem(`Docker event stream ${why}; re-subscribing`);
      setTimeout(() => void open(), 1000).unref();
    };
    stream.on('end', () => reopen('ended'));
    stream.on('error', (err: Error) => reopen(`failed: ${err.message}`));
  };
  void open();
}

export function parseEvent(line: string): { action: string; name: string } | null {
  if (!line.trim()) return null;
  try {
    const ev = JSON.parse(line) as { Action?: string; status?: string; Actor?: { Attributes?: { name?: string } } };
    const action = ev.Action ?? ev.status;
    return action ? { action, name: ev.Actor?.Attributes?.name ?? '' } : null;
  } catch {
    return null;
  }
}
