// Local stand-ins for the standard base images on machines without a registry:
// debootstrap a minimal Debian, import it, then build the node and nginx bases on top (docker/*.Dockerfile).
// Each step is cached by tag, so a second run does nothing.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import type { Progress } from '../progress.ts';
import { readAptMirror } from './apt-mirror.ts';
import { buildFromDir, imageId, importRootfs } from './docker-ops.ts';
import { checkHostNode } from './host-node.ts';
import { LOCAL_BASES, MANAGED_LABEL, MANAGED_LABELS, PACKAGE_ROOT } from './types.ts';

const RELEASE = 'bookworm';

function run(cmd: string, args: string[], hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new RuntimeError(`cannot run ${cmd}: ${err.message}`, hint, err)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(new RuntimeError(`${cmd} exited with ${code}:\n${tail.trim().split('\n').slice(-15).join('\n')}`, hint));
    });
  });
}

/** debootstrap bind-mounts /dev entries and proc into the target; never delete through a live mount. */
function removeRootfs(dir: string, progress: Progress): void {
  const mounts = () =>
    readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mounts().reverse()) spawn('umount', ['-l', m], { stdio: 'ignore' });
  if (mounts().length) {
    progress.warn(`left ${dir} in place: something is still mounted under it`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

async function bootstrapDebian(docker: DockerClient, progress: Progress): Promise<void> {
  if (await imageId(docker, LOCAL_BASES.debian)) return;
  if (process.getuid?.() !== 0) {
    throw new RuntimeError('bootstrapping a Debian base image needs root (debootstrap)', 'run `npm run setup` as root');
  }
  const mirror = readAptMirror(RELEASE);
  const dir = mkdtempSync(join(tmpdir(), 'toolkit-rootfs-'));
  try {
    progress.step(`debootstrap ${RELEASE} from ${mirror} (about half a minute)`);
    await run('debootstrap', ['--variant=minbase', RELEASE, dir, mirror], 'apt-get install -y debootstrap');
    progress.step(`importing ${LOCAL_BASES.debian}`);
    const tar = spawn(
      'tar',
      [
        '--numeric-owner',
        '-C',
        dir,
        '--exclude=./var/cache/apt/archives/*.deb',
        '--exclude=./var/lib/apt/lists/*',
        '-c',
        '.',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const tarDone = new Promise<number | null>((resolve) => tar.on('close', resolve));
    await importRootfs(docker, tar.stdout, LOCAL_BASES.debian, [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'CMD ["bash"]',
      `LABEL ${MANAGED_LABEL}=true`,
    ]);
    const code = await tarDone;
    if (code !== 0) {
      await docker.getImage(LOCAL_BASES.debian).remove();
      throw new RuntimeError(`tar of the debootstrapped rootfs exited with ${code}`);
    }
  } finally {
    removeRootfs(dir, progress);
  }
}

async function buildBase(
  docker: DockerClient,
  tag: string,
  dockerfile: string,
  files: Record<string, string>,
  progress: Progress,
): Promise<void> {
  if (await imageId(docker, tag)) return;
  const dir = mkdtempSync(join(tmpdir(), 'toolkit-base-'));
  try {
    copyFileSync(join(PACKAGE_ROOT, 'docker', dockerfile), join(dir, 'Dockerfile'));
    for (const [name, source] of Object.entries(files)) copyFileSync(source, join(dir, name));
    progress.step(`building ${tag}`);
    await buildFromDir(
      docker,
      { contextDir: dir, tag, buildArgs: { DEBIAN_IMAGE: LOCAL_BASES.debian }, labels: MANAGED_LABELS },
      progress,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function bootstrapNodeBase(docker: DockerClient, progress: Progress): Promise<string> {
  if (!(await imageId(docker, LOCAL_BASES.node))) {
    const node = checkHostNode();
    await bootstrapDebian(docker, progress);
    await buildBase(docker, LOCAL_BASES.node, 'base-node.Dockerfile', { node }, progress);
  }
  return LOCAL_BASES.node;
}

export async function bootstrapNginxBase(docker: DockerClient, progress: Progress): Promise<string> {
  if (!(await imageId(docker, LOCAL_BASES.nginx))) {
    await bootstrapDebian(docker, progress);
    await buildBase(docker, LOCAL_BASES.nginx, 'base-nginx.Dockerfile', {}, progress);
  }
  return LOCAL_BASES.nginx;
}

/** `replica-toolkit/base-k6:<version>`: the Debian base plus the host's k6 binary, checked by the caller. */
export async function bootstrapK6Base(
  docker: DockerClient,
  progress: Progress,
  k6Binary: string,
  tag: string,
): Promise<string> {
  if (!(await imageId(docker, tag))) {
    await bootstrapDebian(docker, progress);
    await buildBase(docker, tag, 'base-k6.Dockerfile', { k6: k6Binary }, progress);
  }
  return tag;
}
