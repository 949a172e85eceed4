// Which replicas the live load balancer routes to ("in rotation"), recorded beside the live config whenever it is
// applied, so a reload that changes something else (the strategy) keeps the upstream, and `status` can tell a
// running replica that was left out of rotation from one that serves.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DockerClient } from '../docker.ts';
import { writeFileAtomic } from '../render/write.ts';
import { CONTAINER_PORTS } from '../spec/service-defs.ts';
import { ipOnNetwork, listProjectContainers } from './query.ts';
import { httpOk } from './wait.ts';

export interface ReadyReplica {
  number: number;
  name: string;
  /** `ip:port` on the project network. */
  address: string;
}

const FILE = 'upstream.json';

export async function saveRotation(liveNginxDir: string, replicas: ReadyReplica[]): Promise<void> {
  const sorted = [...replicas].sort((a, b) => a.number - b.number);
  await writeFileAtomic(path.join(liveNginxDir, FILE), `${JSON.stringify(sorted, null, 2)}\n`);
}

/** The recorded rotation, or null when none was recorded (a stack made before this file existed). */
export async function readRotation(liveNginxDir: string): Promise<ReadyReplica[] | null> {
  try {
    const parsed = JSON.parse(await readFile(path.join(liveNginxDir, FILE), 'utf8')) as unknown;
    if (!Array.isArray(parsed)) return null;
    return parsed.filter(
      (r): r is ReadyReplica =>
        typeof r === 'object' &&
        r !== null &&
        Number.isInteger((r as ReadyReplica).number) &&
        typeof (r as ReadyReplica).name === 'string' &&
        typeof (r as ReadyReplica).address === 'string',
    );
  } catch {
    return null;
  }
}

/** The recorded rotation; without a record, the running inference replicas that answer /ready. */
export async function currentRotation(
  docker: DockerClient,
  project: string,
  liveNginxDir: string,
): Promise<ReadyReplica[]> {
  const recorded = await readRotation(liveNginxDir);
  if (recorded) return recorded;
  const found: ReadyReplica[] = [];
  for (const c of await listProjectContainers(docker, project, 'inference')) {
    if (c.oneoff || c.state !== 'running') continue;
    const ip = ipOnNetwork(await docker.getContainer(c.id).inspect(), project);
    const address = `${ip}:${CONTAINER_PORTS.inference}`;
    if (ip && (await httpOk(`http://${address}/ready`))) found.push({ number: c.number, name: c.name, address });
  }
  return found;
}
