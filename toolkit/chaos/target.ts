// Which replica a chaos action hits: one named by number, or one picked at random among the running ones.
import type { DockerClient } from '../docker.ts';
import { listProjectContainers, type ProjectContainer } from '../engine/query.ts';
import { UsageError } from '../errors.ts';

export type TargetChoice = { replica: number } | { random: true };

export async function pickReplica(
  docker: DockerClient,
  project: string,
  choice: TargetChoice,
  opts: { states?: string[]; random?: () => number } = {},
): Promise<ProjectContainer> {
  const states = opts.states ?? ['running'];
  const replicas = (await listProjectContainers(docker, project, 'inference')).filter((c) => !c.oneoff);
  const eligible = replicas.filter((c) => states.includes(c.state));
  if ('replica' in choice) {
    const c = replicas.find((r) => r.number === choice.replica);
    const have = replicas.map((r) => `${r.number} (${r.state})`).join(', ') || 'none';
    if (!c) throw new UsageError(`project ${project} has no inference replica ${choice.replica}`, `replicas: ${have}`);
    if (!eligible.includes(c)) {
      throw new UsageError(
        `inference replica ${choice.replica} is ${c.state}, not ${states.join(' or ')}`,
        `replicas: ${have}`,
      );
    }
    return c;
  }
  if (eligible.length === 0) throw new UsageError(`project ${project} has no ${states.join(' or ')} inference replica`);
  return eligible[Math.floor((opts.random ?? Math.random)() * eligible.length)];
}

/** `--replica n` / `--random`: exactly one of them. */
export function targetChoice(replica: string | undefined, random: boolean | undefined): TargetChoice {
  if (replica !== undefined && random) throw new UsageError('give either --replica <n> or --random, not both');
  if (random) return { random: true };
  if (replica === undefined) throw new UsageError('which replica? give --replica <n> or --random');
  if (!/^[1-9]\d*$/.test(replica.trim()))
    throw new UsageError(`--replica "${replica}" is not a replica number (1, 2, …)`);
  return { replica: Number(replica) };
}
