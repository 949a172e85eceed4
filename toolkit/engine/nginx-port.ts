// Where the running nginx container is published, read from Docker (the source of truth) rather than the spec.
import type Docker from 'dockerode';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';

export interface Published {
  hostIp: string;
  hostPort: number;
}

export async function publishedPort(docker: DockerClient, id: string): Promise<Published | null> {
  return publishedFromInfo(await docker.getContainer(id).inspect());
}

export function publishedFromInfo(info: Docker.ContainerInspectInfo): Published | null {
  const bindings = info.HostConfig.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[]> | undefined;
  const first = Object.values(bindings ?? {})[0]?.[0];
  if (!first?.HostPort) return null;
  return { hostIp: first.HostIp || '0.0.0.0', hostPort: Number(first.HostPort) };
}

/** A base URL a client on this host can use: a wildcard bind is reached on loopback. */
export function baseUrlOf(p: Published): string {
  const ip = p.hostIp === '0.0.0.0' || p.hostIp === '' ? '127.0.0.1' : p.hostIp === '::' ? '::1' : p.hostIp;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${p.hostPort}`;
}

export async function publishedBaseUrl(docker: DockerClient, id: string): Promise<string> {
  const p = await publishedPort(docker, id);
  if (!p) throw new RuntimeError('the nginx container publishes no port', 'run `toolkit up` again to recreate it');
  return baseUrlOf(p);
}
