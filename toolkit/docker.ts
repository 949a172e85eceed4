// The one place a Docker client is built. Commands receive it as a parameter; nothing reaches for a global.
import Docker from 'dockerode';
import { RuntimeError } from './errors.ts';

export type DockerClient = Docker;

export async function connectDocker(env: Record<string, string | undefined> = process.env): Promise<DockerClient> {
  const docker = env.DOCKER_HOST ? new Docker() : new Docker({ socketPath: '/var/run/docker.sock' });
  try {
    await docker.ping();
  } catch (err) {
    throw new RuntimeError(
      `Docker engine not reachable (${env.DOCKER_HOST ?? '/var/run/docker.sock'}): ${(err as Error).message}`,
      'start it with `npm run setup` (installs and starts dockerd on Debian) or point DOCKER_HOST at a running engine',
      err,
    );
  }
  return docker;
}
