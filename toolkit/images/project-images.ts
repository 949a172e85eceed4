// The two images a stack runs, tagged by a hash of everything that goes into them, so an unchanged
// checkout reuses them (no build) and any change to a Dockerfile, the bundle, the data or the base
// image yields a new tag.
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerClient } from '../docker.ts';
import type { Progress } from '../progress.ts';
import { ensureBaseImages } from './base-images.ts';
import { bundleServices } from './bundle.ts';
import { contextHash } from './content-hash.ts';
import { buildFromDir, imageId } from './docker-ops.ts';
import { cachedTags, rememberTags, sourceKey } from './source-cache.ts';
import { type ImageSpec, MANAGED_LABELS, PACKAGE_ROOT, PROJECT_REPOS, type StackImages } from './types.ts';

export interface EnsureImagesOptions {
  /** Where services/, data/, nginx/ and node_modules/ are; the toolkit's own checkout by default. */
  root?: string;
  /** The services entry point to bundle; tests bundle a fixture. */
  servicesEntry?: string;
}

export interface ImagePlan {
  repo: string;
  component: string;
  contextDir: string;
  baseArg: string;
  base: string;
}

/**
 * Keep a copy of the whole context at dist/services: `node dist/services/services.mjs` runs it, and
 * `docker build dist/services` builds it by hand (with a registry). The toolkit never reads it back.
 */
function publishBundle(from: string, to: string, progress: Progress): void {
  const tmp = `${to}.${process.pid}`;
  try {
    cpSync(from, tmp, { recursive: true });
    rmSync(to, { recursive: true, force: true });
    renameSync(tmp, to);
  } catch (err) {
    // Another run published at the same moment; the image does not depend on this copy.
    rmSync(tmp, { recursive: true, force: true });
    progress.warn(`could not refresh ${to}: ${(err as Error).message}`);
  }
}

/** Build unless the tag already exists; returns the tag. */
export async function ensureProjectImage(docker: DockerClient, plan: ImagePlan, progress: Progress): Promise<string> {
  const baseId = await imageId(docker, plan.base);
  const tag = `${plan.repo}:${contextHash(plan.contextDir, [`${plan.baseArg}=${baseId ?? plan.base}`])}`;
  if (await imageId(docker, tag)) {
    progress.info(`${tag} is up to date`);
    return tag;
  }
  progress.step(`building ${tag}`);
  await buildFromDir(
    docker,
    {
      contextDir: plan.contextDir,
      tag,
      buildArgs: { [plan.baseArg]: plan.base },
      labels: { ...MANAGED_LABELS, 'dev.replica-toolkit.component': plan.component },
    },
    progress,
  );
  return tag;
}

export async function ensureImages(
  docker: DockerClient,
  spec: ImageSpec,
  progress: Progress,
  opts: EnsureImagesOptions = {},
): Promise<StackImages> {
  const root = opts.root ?? PACKAGE_ROOT;
  const bases = await ensureBaseImages(docker, spec, progress);
  const baseIds = await Promise.all([imageId(docker, bases.nodeBase), imageId(docker, bases.nginxBase)]);
  const key = sourceKey(root, [opts.servicesEntry ?? '', ...baseIds.map((id) => id ?? '')]);
  const cached = cachedTags(root, key);
  if (cached && (await imageId(docker, cached.services)) && (await imageId(docker, cached.nginx))) {
    progress.info(`${cached.services} and ${cached.nginx} are up to date (sources unchanged)`);
    return cached;
  }
  // Staging lives under dist/ so the source map's relative paths (part of the hash) do not depend on TMPDIR.
  mkdirSync(join(root, 'dist'), { recursive: true });
  const staging = mkdtempSync(join(root, 'dist', '.staging-'));
  try {
    const servicesCtx = join(staging, 'services');
    progress.info('bundling services');
    await bundleServices(root, servicesCtx, opts.servicesEntry);
    cpSync(join(root, 'services', 'Dockerfile'), join(servicesCtx, 'Dockerfile'));
    mkdirSync(join(servicesCtx, 'data'));
    cpSync(join(root, 'data', 'penguins.csv'), join(servicesCtx, 'data', 'penguins.csv'));
    publishBundle(servicesCtx, join(root, 'dist', 'services'), progress);

    const nginxCtx = join(staging, 'nginx');
    mkdirSync(nginxCtx);
    cpSync(join(root, 'nginx', 'Dockerfile'), join(nginxCtx, 'Dockerfile'));

    const services = await ensureProjectImage(
      docker,
      {
        repo: PROJECT_REPOS.services,
        component: 'services',
        contextDir: servicesCtx,
        baseArg: 'NODE_IMAGE',
        base: bases.nodeBase,
      },
      progress,
    );
    const nginx = await ensureProjectImage(
      docker,
      {
        repo: PROJECT_REPOS.nginx,
        component: 'nginx',
        contextDir: nginxCtx,
        baseArg: 'NGINX_IMAGE',
        base: bases.nginxBase,
      },
      progress,
    );
    rememberTags(root, key, { services, nginx });
    return { services, nginx };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
