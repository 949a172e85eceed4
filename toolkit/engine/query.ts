// What exists: the project's containers, read from their labels (never their names).
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import { LABEL, networkName, projectFilters } from './labels.ts';

export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  oneoff: boolean;
  configHash: string;
  /** created | running | restarting | exited | paused | dead | removing */
  state: string;
  /** Docker's healthcheck says unhealthy (from the list entry's status text, e.g. "Up 3 minutes (unhealthy)"). */
  unhealthy: boolean;
}

export async function listProjectContainers(
  docker: DockerClient,
  project: string,
  service?: string,
): Promise<ProjectContainer[]> {
  const extra: Record<string, string> = service ? { [LABEL.service]: service } : {};
  const list = await docker.listContainers({ all: true, filters: projectFilters(project, extra) });
  return list.map(fromListEntry).sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
}

function fromListEntry(c: Docker.ContainerInfo): ProjectContainer {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    service: labels[LABEL.service] ?? '',
    number: Number(labels[LABEL.number] ?? 0),
    oneoff: labels[LABEL.oneoff] === 'True',
    configHash: labels[LABEL.configHash] ?? '',
    state: c.State,
    unhealthy: /\(unhealthy\)/.test(c.Status ?? ''),
  };
}

/** The container's address on the project network, or '' when it has none (not running). */
export function ipOnNetwork(info: Docker.ContainerInspectInfo, project: string): string {
  const nets = info.NetworkSettings?.Networks ?? {};
  return nets[networkName(project)]?.IPAddress ?? '';
}

/** The last `lines` lines of a container's output (stdout and stderr), as text. */
export async function lastLogLines(docker: DockerClient, id: string, lines = 20): Promise<string> {
  try {
    const buf = (await docker.getContainer(id).logs({
      stdout: true,
      stderr: true,
      follow: false,
      tail: lines,
    })) as unknown as Buffer;
    return demuxBuffer(buf).trimEnd();
  } catch (err) {
    return `(logs unavailable: ${(err as Error).message})`;
  }
}

/** Docker's multiplexed log format: 8-byte frame headers (stream, 0, 0, 0, uint32 size). TTY-less only. */
export function demuxBuffer(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  // Not multiplexed (TTY containers): the bytes are the text.
  if (i === 0) return buf.toString('utf8');
  return Buffer.concat(out).toString('utf8');
}
