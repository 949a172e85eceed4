// `toolkit scale N`: change the replica count of the running stack and nothing else. The spec is the one the stack
// was last converged with (saved by the engine) plus any flags given here, with replicas = N; every input is checked
// before the lock is taken, and the engine converges under the project lock (a concurrent scale waits, then fails
// naming the holder). New replicas join nginx once ready; victims (highest numbers) leave it before they stop.
import { writeComposeBundle } from '../compose-bundle.ts';
import { engineFor, engineKindOf, renderStatusTable } from '../engine/index.ts';
import { savedSpecPath } from '../engine/saved-spec.ts';
import type { EngineEvent } from '../engine/types.ts';
import { UsageError } from '../errors.ts';
import { ensureImages } from '../images/index.ts';
import { acquireLock } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import { loadOrCreateSecrets } from '../secrets.ts';
import { loadSpec } from '../spec/index.ts';
import { serviceDefs } from '../spec/service-defs.ts';
import { type CommandIO, printJson, type SpecOptions } from './io.ts';

export interface ScaleFlags {
  /** local | swarm; default: the engine the stack was started with. */
  engine?: string;
  /** Let `scale 0` through (every replica leaves; nginx answers 503 itself). */
  allowZero?: boolean;
  /** Seconds to wait for another toolkit command holding the project lock (default 60). */
  wait?: string;
  json?: boolean;
}

/** `N` as typed: a whole number ≥ 0 (0 only with --allow-zero); the upper bound is the spec's maxReplicas. */
export function parseCount(raw: string, allowZero: boolean): number {
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) throw new UsageError(`replica count "${raw}" is not a whole number`, 'toolkit scale 3');
  const n = Number(text);
  if (n < 0) throw new UsageError(`replica count ${n} is negative`, 'toolkit scale 3');
  if (n === 0 && !allowZero) {
    throw new UsageError('scale 0 removes every replica', 'pass --allow-zero to mean it (nginx then answers 503)');
  }
  return n;
}

export function parseWaitMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/s$/, '');
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0 || n > 3600) {
    throw new UsageError(`--wait "${raw}" is not a number of seconds between 0 and 3600`);
  }
  return n * 1000;
}

export async function scaleCommand(count: string, opts: SpecOptions & ScaleFlags, io: CommandIO): Promise<void> {
  const { allowZero, wait, json, config, engine: engineFlag, ...flags } = opts;
  const n = parseCount(count, Boolean(allowZero));
  const waitMs = parseWaitMs(wait);
  if (flags.replicas !== undefined) throw new UsageError('give the count as `toolkit scale N`, not --replicas');
  // The project name first (flags, env or config file), to find the running stack's saved spec.
  const engineFlags = engineFlag === undefined ? {} : { engine: engineFlag };
  const named = await loadSpec({ cwd: io.cwd, env: io.env, flags: { ...flags, ...engineFlags }, configPath: config });
  const saved = config ? null : await savedSpecPath(named);
  const docker = await io.docker();
  const engine = engineFor(await engineKindOf(named, engineFlag), docker);
  const running = await engine.running(named.project);
  // A stack converged before specs were saved: at least keep the port its nginx publishes.
  const published = !saved && flags.port === undefined ? (running?.published ?? null) : null;
  const livePort = published ? { port: String(published.hostPort), bind: flags.bind ?? published.hostIp } : {};
  const spec = await loadSpec({
    cwd: io.cwd,
    env: io.env,
    flags: { ...flags, ...livePort, ...engineFlags, engine: engine.kind, replicas: n, allowZero },
    configPath: saved ?? config,
  });

  if (!running) {
    throw new UsageError(
      `project ${spec.project} is not running`,
      `start it first: toolkit up --project ${spec.project} --replicas ${Math.max(n, 1)}`,
    );
  }
  const paths = stackPaths(spec);
  const lock = await acquireLock(paths.lockFile, 'scale', { waitMs, progress: io.progress });
  try {
    const before = running.replicas;
    io.progress.step(`project ${spec.project}: scaling inference ${before} → ${n}`);
    const images = await ensureImages(docker, spec, io.progress);
    const secrets = await loadOrCreateSecrets(paths);
    const defs = serviceDefs(spec, images, paths);
    await writeComposeBundle(spec, defs, paths);
    const events: EngineEvent[] = [];
    const status = await engine.scale({
      docker,
      spec,
      images,
      defs,
      paths,
      secrets,
      progress: io.progress,
      onEvent: (e) => events.push(e),
    });
    if (json) return printJson(io, { project: spec.project, replicas: n, before, events, status });
    io.out(renderStatusTable(status));
    io.out(`\nscaled ${spec.project} from ${before} to ${n} replica(s)${status.url ? ` at ${status.url}` : ''}`);
  } finally {
    await lock.release();
  }
}
