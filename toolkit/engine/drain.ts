// Scale-down's middle step: the victims are out of the upstream; before SIGTERM, wait until none of them is still
// computing a request (old nginx workers finish what they had sent), bounded by the grace period.
import type { DockerClient } from '../docker.ts';
import { CONTAINER_PORTS } from '../spec/service-defs.ts';
import { ipOnNetwork } from './query.ts';
import { sleep } from './wait.ts';

/** The replica's `inference_inflight_requests` gauge; null when it does not answer (then nothing is in flight). */
export async function inflightOf(address: string): Promise<number | null> {
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(1000) });
    const text = await res.text();
    const m = /^inference_inflight_requests(?:\{[^}]*\})?\s+(\d+(?:\.\d+)?)/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Waits until every container in `ids` reports no in-flight request, or `timeoutMs` passes. Returns the stragglers. */
export async function waitIdle(
  docker: DockerClient,
  project: string,
  ids: string[],
  timeoutMs: number,
): Promise<string[]> {
  const addresses = new Map<string, string>();
  for (const id of ids) {
    const info = await docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    const ip = info?.State.Running ? ipOnNetwork(info, project) : '';
    if (ip) addresses.set(id, `${ip}:${CONTAINER_PORTS.inference}`);
  }
  const deadline = Date.now() + timeoutMs;
  let busy = [...addresses.keys()];
  while (busy.length > 0) {
    const counts = await Promise.all(busy.map((id) => inflightOf(addresses.get(id) ?? '')));
    busy = busy.filter((_, i) => (counts[i] ?? 0) > 0);
    if (busy.length === 0 || Date.now() >= deadline) break;
    await sleep(100);
  }
  return busy;
}
