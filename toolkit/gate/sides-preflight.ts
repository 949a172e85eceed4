// Validate-first for image/commit compare sides: before any build or load, every image must be in the local
// engine, every commit must resolve in the toolkit's checkout, and the stack whose storage, registry and network the
// side containers use must be up on the local engine. All problems are reported at once (exit 2).
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { DockerClient } from '../docker.ts';
import { projectFilters } from '../engine/labels.ts';
import { listProjectContainers } from '../engine/query.ts';
import { savedEngine, savedSpecPath } from '../engine/saved-spec.ts';
import { UsageError } from '../errors.ts';
import { imageId } from '../images/docker-ops.ts';
import { PACKAGE_ROOT } from '../images/types.ts';
import { type StackPaths, stackPaths } from '../paths.ts';
import { loadOrCreateSecrets } from '../secrets.ts';
import { loadSpec } from '../spec/index.ts';
import type { StackSpec } from '../spec/types.ts';
import { type CompareSide, SIDE_ROLES, type SideRole } from './side-spec.ts';

const run = promisify(execFile);

/** What the side containers are made with: the running stack's own spec, paths and credentials. */
export interface SideContext {
  docker: DockerClient;
  /** The spec the stack was converged with (saved by `up`): limits, model, inference settings, images. */
  spec: StackSpec;
  paths: StackPaths;
  secrets: Record<string, string>;
  /** The git checkout commits resolve in and are built from. */
  repoRoot: string;
}

/** A side with its commit resolved to a full SHA (so a moving ref like HEAD means one thing for the whole gate). */
export type PlannedSide = CompareSide & { sha?: string };

export interface SidesPlan {
  ctx: SideContext;
  baseline: PlannedSide;
  candidate: PlannedSide;
}

export interface PlanInput {
  compare: { baseline: CompareSide; candidate: CompareSide };
  /** The spec from flags/env/config: names the project and the cwd whose .toolkit/ holds the running stack. */
  named: StackSpec;
  env: Record<string, string | undefined>;
  docker: () => Promise<DockerClient>;
  repoRoot?: string;
}

/** null when both sides are URLs: nothing to run, Docker is not needed. */
export async function planSides(input: PlanInput): Promise<SidesPlan | null> {
  const { compare, named } = input;
  if (compare.baseline.kind === 'url' && compare.candidate.kind === 'url') return null;
  const repoRoot = input.repoRoot ?? PACKAGE_ROOT;
  const engine = (await savedEngine(named)) ?? named.engine;
  if (engine === 'swarm') {
    throw new UsageError(
      `image/commit A/B needs the local engine; project ${named.project} runs on swarm`,
      'give both sides as loopback URLs, or run the stack with --engine local',
    );
  }
  const problems: string[] = [];
  const docker = await input.docker();
  const stack = await stackProblem(docker, named);
  if (stack) problems.push(stack);
  const planned = {} as Record<SideRole, PlannedSide>;
  for (const role of SIDE_ROLES) {
    const side = compare[role];
    planned[role] = side;
    if (side.kind === 'image' && !(await imageId(docker, side.image))) {
      problems.push(`${role}: image ${side.image} not found in the local engine`);
    } else if (side.kind === 'commit') {
      const sha = await resolveCommit(repoRoot, side.commit);
      if (sha) planned[role] = { ...side, sha };
      else problems.push(`${role}: commit ${side.commit} does not resolve to a commit in ${repoRoot}`);
    }
  }
  if (problems.length > 0) {
    throw new UsageError(
      problems.length === 1 ? problems[0] : `the compare sides cannot run:\n  ${problems.join('\n  ')}`,
      hintFor(problems, named.project),
    );
  }
  const saved = (await savedSpecPath(named))!;
  const spec = await loadSpec({ cwd: named.cwd, env: input.env, flags: { project: named.project }, configPath: saved });
  const paths = stackPaths(spec);
  const secrets = await loadOrCreateSecrets(paths);
  return { ctx: { docker, spec, paths, secrets, repoRoot }, baseline: planned.baseline, candidate: planned.candidate };
}

function hintFor(problems: string[], project: string): string {
  const hints: string[] = [];
  if (problems.some((p) => p.includes('is not running'))) hints.push(`run \`toolkit up --project ${project}\` first`);
  if (problems.some((p) => p.includes(' image '))) {
    hints.push('build it (`toolkit up` builds replica-toolkit/services:<hash>; or `docker build`), or give a commit');
  }
  if (problems.some((p) => p.includes(' commit '))) hints.push('give a branch, tag or SHA that `git rev-parse` knows');
  return hints.join('; ');
}

/** Side containers need the stack's storage and registry (the model), its network and its credentials. */
async function stackProblem(docker: DockerClient, named: StackSpec): Promise<string | null> {
  const project = named.project;
  const missing: string[] = [];
  if (!(await savedSpecPath(named))) missing.push('no saved spec');
  const containers = await listProjectContainers(docker, project);
  for (const service of ['storage', 'registry']) {
    if (!containers.some((c) => c.service === service && !c.oneoff && c.state === 'running')) missing.push(service);
  }
  const networks = await docker.listNetworks({ filters: projectFilters(project) });
  if (networks.length === 0) missing.push('network');
  const secretsFile = stackPaths(named).secretsFile;
  if (
    !(await access(secretsFile).then(
      () => true,
      () => false,
    ))
  )
    missing.push('credentials');
  return missing.length ? `project ${project} is not running (missing: ${missing.join(', ')})` : null;
}

/** The full SHA of `ref`, or null when it names no commit. */
export async function resolveCommit(repoRoot: string, ref: string): Promise<string | null> {
  // Refs starting with '-' would be read as options; config and flags reject them, this is the last guard.
  if (ref.startsWith('-')) return null;
  try {
    const { stdout } = await run('git', ['-C', repoRoot, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    const sha = stdout.trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}
