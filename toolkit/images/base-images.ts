// Choose the base images the project Dockerfiles build FROM: the standard ones when the engine has them
// (or can pull them), local bootstrapped stand-ins otherwise, as spec.images.bootstrap allows.
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import type { Progress } from '../progress.ts';
import { bootstrapNginxBase, bootstrapNodeBase } from './bootstrap.ts';
import { imageId, tryPull } from './docker-ops.ts';
import { type BaseImages, type ImageSpec, LOCAL_BASES } from './types.ts';

/** Pulls fail at once without a registry; the deadline only guards against a registry that hangs. */
const PULL_TIMEOUT_MS = 20_000;

export type Bootstrapper = (docker: DockerClient, progress: Progress) => Promise<string>;

/** The standard image when present or pullable, else the local stand-in (made by `bootstrap` when missing). */
export async function resolveBase(
  docker: DockerClient,
  standard: string,
  local: string,
  bootstrap: Bootstrapper,
  mode: ImageSpec['images']['bootstrap'],
  progress: Progress,
): Promise<string> {
  if (mode === 'always') return bootstrap(docker, progress);
  if (await imageId(docker, standard)) return standard;
  // Bootstrapped earlier: use it rather than paying for a failing pull on every run.
  if (mode === 'auto' && (await imageId(docker, local))) return local;
  progress.step(`pulling ${standard}`);
  if (await tryPull(docker, standard, PULL_TIMEOUT_MS)) return standard;
  if (mode === 'never') {
    throw new RuntimeError(
      `base image ${standard} is not available locally and cannot be pulled`,
      'let the toolkit build a local one: pass --bootstrap-images or set images.bootstrap: auto in toolkit.config.yaml',
    );
  }
  progress.info(`cannot pull ${standard}; building a local stand-in ${local}`);
  return bootstrap(docker, progress);
}

export async function ensureBaseImages(docker: DockerClient, spec: ImageSpec, progress: Progress): Promise<BaseImages> {
  const { nodeBase, nginxBase, bootstrap } = spec.images;
  // One after the other: both may need the same debootstrapped Debian base.
  const node = await resolveBase(docker, nodeBase, LOCAL_BASES.node, bootstrapNodeBase, bootstrap, progress);
  const nginx = await resolveBase(docker, nginxBase, LOCAL_BASES.nginx, bootstrapNginxBase, bootstrap, progress);
  return { nodeBase: node, nginxBase: nginx };
}
