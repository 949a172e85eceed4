// The k6 image that runs load generators as Swarm tasks: built FROM grafana/k6:<version> where that image exists
// (or can be pulled), else FROM a local stand-in made of the Debian base and the host's k6 binary — the same one
// local runs use, so tasks and local processes run the same k6. Tagged by a hash of its context (Dockerfile,
// entrypoint, scenarios, data) and the base image ID, and rebuilt only when one of them changes.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import type { Progress } from '../progress.ts';
import { resolveBase } from './base-images.ts';
import { bootstrapK6Base } from './bootstrap.ts';
import { foreignLibraries } from './host-node.ts';
import { ensureProjectImage } from './project-images.ts';
import { type ImageSpec, localK6Base, PACKAGE_ROOT, PROJECT_REPOS } from './types.ts';

export interface K6ImageOptions {
  /** The host's k6 (toolkit/load/k6.ts findK6): copied into the local base, and its version names the bases. */
  k6Binary: string;
  /** `k6 version` output of that binary, e.g. "k6 v1.4.2 (go1.26.8, linux/amd64)". */
  k6Version: string;
  /** Where docker/, loadtests/ and data/ are; the toolkit's own checkout by default. */
  root?: string;
}

/** "k6 v1.4.2 (go…)" → "1.4.2": the tag of grafana/k6 that matches the host's k6. */
export function k6VersionTag(versionLine: string): string {
  const m = /\bv?(\d+\.\d+\.\d+(?:-[\w.]+)?)\b/.exec(versionLine);
  if (!m) throw new RuntimeError(`cannot read a version from k6's output "${versionLine}"`);
  return m[1];
}

/**
 * A Go build of k6 is static or linked against glibc only; anything else would not start in a minimal Debian.
 * Returns the real path (a symlink would be copied as a link into the build context).
 */
export function checkHostK6(path: string): string {
  const hint = 'build k6 with `go install go.k6.io/k6@v1.4.2` (npm run setup does this), or make grafana/k6 available';
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    throw new RuntimeError(`cannot read the k6 binary ${path}`, hint, err);
  }
  let ldd = '';
  try {
    ldd = execFileSync('ldd', [real], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    // ldd exits non-zero for a static binary ("not a dynamic executable"): nothing to check then.
    return real;
  }
  const foreign = foreignLibraries(ldd);
  if (foreign.length)
    throw new RuntimeError(`${real} needs libraries a minimal Debian lacks: ${foreign.join(', ')}`, hint);
  return real;
}

/** The k6 image's build context: Dockerfile, entrypoint, the scenarios (TypeScript only) and the penguins data. */
export function stageK6Context(root: string, dir: string): void {
  cpSync(join(root, 'docker', 'k6.Dockerfile'), join(dir, 'Dockerfile'));
  cpSync(join(root, 'docker', 'k6-task.sh'), join(dir, 'k6-task.sh'));
  mkdirSync(join(dir, 'data'));
  cpSync(join(root, 'data', 'penguins.csv'), join(dir, 'data', 'penguins.csv'));
  // Only what k6 runs: a README or tsconfig edit must not change the tag.
  const copyTs = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const e of readdirSync(from, { withFileTypes: true })) {
      if (e.isDirectory()) copyTs(join(from, e.name), join(to, e.name));
      else if (e.name.endsWith('.ts')) cpSync(join(from, e.name), join(to, e.name));
    }
  };
  copyTs(join(root, 'loadtests'), join(dir, 'loadtests'));
}

/** Builds `replica-toolkit/k6:<hash>` unless that tag exists; returns the tag. */
export async function ensureK6Image(
  docker: DockerClient,
  spec: ImageSpec,
  progress: Progress,
  opts: K6ImageOptions,
): Promise<string> {
  const version = k6VersionTag(opts.k6Version);
  const local = localK6Base(version);
  // The check (and realpath) runs only when the local base has to be made from the host's binary.
  const base = await resolveBase(
    docker,
    `grafana/k6:${version}`,
    local,
    (d, p) => bootstrapK6Base(d, p, checkHostK6(opts.k6Binary), local),
    spec.images.bootstrap,
    progress,
  );
  const dir = mkdtempSync(join(tmpdir(), 'toolkit-k6-image-'));
  try {
    stageK6Context(opts.root ?? PACKAGE_ROOT, dir);
    return await ensureProjectImage(
      docker,
      { repo: PROJECT_REPOS.k6, component: 'k6', contextDir: dir, baseArg: 'K6_IMAGE', base },
      progress,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
