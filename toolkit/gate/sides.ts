// The A/B sides' lifetime: images for commit sides (built once per commit), one container per image/commit side,
// both ready before the first sample, and all of them removed afterwards — on success, on failure, and on abort
// (Ctrl-C), by the run's labels, so a side that was half-created goes too.
import { randomBytes } from 'node:crypto';
import { imageId } from '../images/docker-ops.ts';
import type { Progress } from '../progress.ts';
import { localCpuIds, placementFor, type RoundPlacement } from './placement.ts';
import { type CompareSide, describeSide, SIDE_ROLES, type SideRole } from './side-spec.ts';
import { imageForCommit } from './sides-commit.ts';
import { removeSideContainers, startSideContainer } from './sides-container.ts';
import type { PlannedSide, SidesPlan } from './sides-preflight.ts';

/** A side as measured, for the report: where it was loaded and what ran there. */
export interface LiveSide {
  role: SideRole;
  kind: CompareSide['kind'];
  url: string;
  /** The image the side container ran (image and commit sides). */
  image?: string;
  /** The commit's full SHA (commit sides) and the ref as given. */
  commit?: string;
  ref?: string;
  env?: Record<string, string>;
  container?: string;
}

export interface LiveSides extends AsyncDisposable {
  baseline: LiveSide;
  candidate: LiveSide;
  /**
   * Both sides containers: pins each to its half of the engine's CPUs for placement k (halves swapped between odd
   * and even k: every window or every round, regression.ts) and says where, so a per-round placement can pin each
   * side's k6 beside it (placement.ts). Absent when a side is a URL: its process is not ours.
   */
  place?(k: number): Promise<RoundPlacement | undefined>;
  close(): Promise<void>;
}

export interface SideLauncher {
  start(): Promise<LiveSides>;
  /** Ctrl-C: no new work starts, and whatever this launcher made is removed now. */
  abort(): Promise<void>;
}

export interface LauncherOptions {
  progress: Progress;
  /** Parent of commit trees (default: the OS temp directory). */
  tmpDir?: string;
  readyTimeoutMs?: number;
}

const READY_TIMEOUT_MS = 120_000;

export function sideLauncher(plan: SidesPlan, opts: LauncherOptions): SideLauncher {
  const { ctx } = plan;
  const runTag = randomBytes(4).toString('hex');
  let aborted = false;
  const removeAll = () => removeSideContainers(ctx.docker, ctx.spec.project, runTag);
  const checkAborted = () => {
    if (aborted) throw new Error('interrupted');
  };

  async function imageOf(side: PlannedSide, builds: Map<string, Promise<string>>): Promise<string | undefined> {
    if (side.kind === 'image') return side.image;
    if (side.kind !== 'commit') return undefined;
    const sha = side.sha!;
    let build = builds.get(sha);
    if (!build) {
      build = imageForCommit({
        docker: ctx.docker,
        spec: ctx.spec,
        repoRoot: ctx.repoRoot,
        sha,
        progress: opts.progress,
        tmpDir: opts.tmpDir,
      });
      builds.set(sha, build);
      opts.progress.step(`commit ${side.commit} (${sha.slice(0, 12)}) → ${await build}`);
    }
    return build;
  }

  async function start(): Promise<LiveSides> {
    const builds = new Map<string, Promise<string>>();
    const images = {} as Record<SideRole, string | undefined>;
    // One after the other: two builds at once would only compete for the same two cores.
    for (const role of SIDE_ROLES) images[role] = await imageOf(plan[role], builds);
    checkAborted();
    try {
      const live = await Promise.all(
        SIDE_ROLES.map(async (role): Promise<LiveSide> => {
          const side = plan[role];
          if (side.kind === 'url') return { role, kind: 'url', url: side.url };
          const image = images[role]!;
          opts.progress.step(
            `starting the ${role}: ${describeSide(side)}${side.kind === 'commit' ? ` as ${image}` : ''}`,
          );
          const c = await startSideContainer(
            ctx,
            { role, image, imageId: (await imageId(ctx.docker, image)) ?? '', env: side.env, runTag },
            { readyTimeoutMs: opts.readyTimeoutMs ?? READY_TIMEOUT_MS },
          );
          checkAborted();
          return {
            role,
            kind: side.kind,
            url: c.url,
            image,
            ...(side.kind === 'commit' ? { commit: side.sha, ref: side.commit } : {}),
            env: side.env,
            container: c.name,
          };
        }),
      );
      const [baseline, candidate] = live;
      opts.progress.info(`baseline at ${baseline.url}, candidate at ${candidate.url}`);
      const close = async () => {
        await removeAll();
      };
      // The engine is local (preflight), so its CPU ids are this machine's, where each side's k6 runs too.
      const containers = [baseline.container, candidate.container];
      const cpuIds = localCpuIds();
      const place =
        containers[0] && containers[1]
          ? async (k: number) => {
              const where = placementFor(cpuIds, k);
              if (where) {
                const cpus = [where.baseline, where.candidate];
                await Promise.all(
                  containers.map((c, i) => ctx.docker.getContainer(c!).update({ CpusetCpus: cpus[i] })),
                );
              }
              return where;
            }
          : undefined;
      return { baseline, candidate, place, close, [Symbol.asyncDispose]: close };
    } catch (err) {
      await removeAll();
      throw err;
    }
  }

  return {
    start,
    async abort() {
      aborted = true;
      await removeAll();
    },
  };
}

/** How a measured side is named in the report: its image, and for a commit the SHA it was built from. */
export function describeLive(s: LiveSide): string {
  const env = Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const withEnv = env.length ? ` (${env.join(' ')})` : '';
  if (s.kind === 'url') return s.url;
  if (s.kind === 'commit') return `commit ${s.commit!.slice(0, 12)} → ${s.image}${withEnv}`;
  return `${s.image}${withEnv}`;
}
