// Commit → image: the commit's tree is exported (git archive, no worktree to forget) into a temp directory and built
// by the same code `toolkit up` uses (ensureImages), so the tag is the content hash of what goes in: an unchanged
// commit reuses its image, and a commit whose services equal the checkout's gets the very tag `up` built.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import tar from 'tar-fs';
import type { DockerClient } from '../docker.ts';
import { RuntimeError } from '../errors.ts';
import { ensureImages } from '../images/project-images.ts';
import type { ImageSpec } from '../images/types.ts';
import type { Progress } from '../progress.ts';

const run = promisify(execFile);

/** Where commit trees are exported; every one is removed when its build ends, on success or failure. */
export const COMMIT_TREE_PREFIX = 'toolkit-gate-commit-';

export interface CommitBuild {
  docker: DockerClient;
  spec: ImageSpec;
  repoRoot: string;
  /** Full SHA (resolved during preflight). */
  sha: string;
  progress: Progress;
  /** Parent of the temp tree (default: the OS temp directory). */
  tmpDir?: string;
}

/** The services image tag built from `sha`. */
export async function imageForCommit(b: CommitBuild): Promise<string> {
  const dir = await treeDir(b.tmpDir ?? tmpdir(), b.sha, b.progress);
  try {
    const tree = join(dir, 'tree');
    await mkdir(tree);
    await exportTree(b.repoRoot, b.sha, tree);
    await linkDependencies(b.repoRoot, tree, b.progress);
    b.progress.info(`building the images of commit ${b.sha.slice(0, 12)} from ${tree}`);
    const images = await ensureImages(b.docker, b.spec, b.progress, { root: tree });
    return images.services;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The bundler writes module paths relative to the working directory into its output (so into the content hash):
 * the same commit gets the same tag only when built at the same path. So the tree's path is fixed per commit, owned
 * through a PID file; while another live gate builds the same commit, a private directory (and tag) is used.
 */
async function treeDir(parent: string, sha: string, progress: Progress): Promise<string> {
  const fixed = join(parent, `${COMMIT_TREE_PREFIX}${sha.slice(0, 12)}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(fixed);
      await writeFile(join(fixed, '.owner'), String(process.pid));
      return fixed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(join(fixed, '.owner'), 'utf8').catch(() => ''));
      if (owner > 0 && owner !== process.pid && alive(owner)) break;
      // Left by a gate that was killed (or died before writing its PID): ours now.
      await rm(fixed, { recursive: true, force: true });
    }
  }
  progress.info(`another gate is building commit ${sha.slice(0, 12)}: building in a private directory`);
  return mkdtemp(join(parent, COMMIT_TREE_PREFIX));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exportTree(repoRoot: string, sha: string, into: string): Promise<void> {
  const git = spawn('git', ['-C', repoRoot, 'archive', '--format=tar', sha], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  git.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => git.once('close', (code) => resolve(code)));
  try {
    await pipeline(git.stdout, tar.extract(into) as unknown as NodeJS.WritableStream);
  } catch (err) {
    git.kill('SIGTERM');
    await exited;
    throw new RuntimeError(`cannot export commit ${sha}: ${(err as Error).message}`, stderr.trim() || undefined, err);
  }
  const code = await exited;
  if (code !== 0) throw new RuntimeError(`git archive ${sha} exited ${code}`, stderr.trim() || undefined);
}

/**
 * The bundle resolves packages from <tree>/node_modules. Hard links make the checkout's installed packages appear
 * there at no cost (real paths under the tree, as the bundler's runtime-asset shim needs, and the same relative
 * paths as a build in the checkout, so the content hash matches). Across file systems: a full copy.
 */
async function linkDependencies(repoRoot: string, tree: string, progress: Progress): Promise<void> {
  const from = join(repoRoot, 'node_modules');
  const to = join(tree, 'node_modules');
  try {
    await run('cp', ['-al', from, to]);
  } catch {
    await rm(to, { recursive: true, force: true });
    progress.info('node_modules is on another file system than the temp directory: copying it');
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
  }
  const lock = (root: string) => readFile(join(root, 'package-lock.json'), 'utf8').catch(() => '');
  if ((await lock(repoRoot)) !== (await lock(tree))) {
    progress.warn(
      "the commit's package-lock.json differs from the checkout's: it is built with the packages installed here",
    );
  }
}
