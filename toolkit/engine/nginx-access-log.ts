// nginx's JSON access log is the stdout of the nginx container, read back through the Docker logs API. nginx buffers
// it (64 KiB, flushed every second: nginx.conf.hbs), so a reader first sends SIGUSR1, nginx's "reopen" signal: the
// master and every worker write what they buffered, then reopen /dev/stdout.
import type { DockerClient } from '../docker.ts';
import { demuxBuffer } from './query.ts';

/** Time for the flushed lines to pass containerd-shim and dockerd into the container's log. */
const FLUSH_SETTLE_MS = 300;

/** Asks nginx to write its buffered log lines; false when the container is not running (nothing is buffered then). */
export async function flushNginxAccessLog(docker: DockerClient, containerId: string): Promise<boolean> {
  const sent = await docker
    .getContainer(containerId)
    .kill({ signal: 'SIGUSR1' })
    .then(
      () => true,
      () => false,
    );
  if (sent) await new Promise((r) => setTimeout(r, FLUSH_SETTLE_MS));
  return sent;
}

/** The access log's text (JSON lines, nginx's stderr left out), flushed first; `since` in epoch seconds. */
export async function readNginxAccessLog(
  docker: DockerClient,
  containerId: string,
  sinceEpochSec = 0,
): Promise<string> {
  await flushNginxAccessLog(docker, containerId);
  const raw = (await docker
    .getContainer(containerId)
    .logs({ stdout: true, stderr: false, follow: false, since: sinceEpochSec })) as unknown as Buffer;
  return demuxBuffer(raw);
}
