// `nginx -t` on a rendered config, in a throwaway container of the very image that will run it, locked down like
// the live balancer. The live balancer is only ever reloaded with a config that passed this.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerClient } from '../docker.ts';
import { demuxBuffer } from '../engine/query.ts';
import { RuntimeError } from '../errors.ts';
import { MANAGED_LABEL } from '../images/index.ts';
import { NGINX_CONF_DIR, SERVICE_USER } from '../spec/service-defs.ts';

const CHECK_TIMEOUT_MS = 60_000;
export const CHECK_ROLE_LABEL = 'dev.replica-toolkit.role';
export const CHECK_PID_LABEL = 'dev.replica-toolkit.pid';

export async function checkNginxConfig(
  docker: DockerClient,
  nginxImage: string,
  confText: string,
  opts: { network?: string } = {},
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'toolkit-nginx-check-'));
  let container: Awaited<ReturnType<DockerClient['createContainer']>> | undefined;
  try {
    // The container runs as 10001, so the directory and file must be readable by others.
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'nginx.conf'), confText, { mode: 0o644 });
    container = await docker.createContainer({
      Image: nginxImage,
      Entrypoint: ['nginx'],
      Cmd: ['-t', '-e', 'stderr', '-c', `${NGINX_CONF_DIR}/nginx.conf`],
      User: SERVICE_USER,
      // The pid says which toolkit process made it, should one ever be left behind.
      Labels: { [MANAGED_LABEL]: 'true', [CHECK_ROLE_LABEL]: 'nginx-check', [CHECK_PID_LABEL]: String(process.pid) },
      HostConfig: {
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': 'rw,noexec,nosuid,size=16m' },
        Binds: [`${dir}:${NGINX_CONF_DIR}:ro`],
        NetworkMode: opts.network ?? 'none',
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges:true'],
      },
    });
    await container.start();
    const started = container;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RuntimeError(`nginx -t in ${nginxImage} did not finish within ${CHECK_TIMEOUT_MS / 1000}s`)),
        CHECK_TIMEOUT_MS,
      );
    });
    const result = (await Promise.race([started.wait(), timeout]).finally(() => clearTimeout(timer))) as {
      StatusCode: number;
    };
    if (result.StatusCode === 0) return;
    const logs = demuxBuffer((await started.logs({ stdout: true, stderr: true, follow: false })) as Buffer);
    const lines = logs
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    // nginx -t ends with "configuration file ... test failed"; the lines before say why.
    const reasons = lines.filter((l) => /\[(emerg|alert|crit|error)\]/.test(l));
    throw new RuntimeError(
      `nginx rejected the rendered config (exit ${result.StatusCode}):\n  ${(reasons.length ? reasons : lines).join('\n  ')}`,
      'this is a bug in the rendered config or the nginx image; `toolkit config` prints the config that was tested',
    );
  } finally {
    // Already gone (404) or being removed (409) is what we want; anything else is worth hearing about.
    if (container) {
      await container.remove({ force: true }).catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
      });
    }
    await rm(dir, { recursive: true, force: true });
  }
}
