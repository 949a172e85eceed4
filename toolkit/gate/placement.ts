// Where each side of a simultaneous comparison runs. Left to the scheduler, two services and their two k6
// processes on a small machine settle into arrangements that favour one side for a whole comparison — one service
// alone on a core, the other sharing its core with both load generators — and pairing windows in time cannot cancel
// what lasts the whole run. So each side gets its own half of the CPUs, and the halves alternate: before every
// window (regression.swap: window; windows.ts) or every round, each service with its k6 (swap: round). Either way
// whatever differs between the halves lands on both sides. `k` counts the placements: odd and even ones mirror.
import { cpus } from 'node:os';

/** CPU lists (taskset/cpuset syntax) per side for one placement. */
export interface RoundPlacement {
  baseline: string;
  candidate: string;
}

/** Disjoint halves of `cpuIds`, the baseline's first when k is odd and second when even; none below 2 CPUs. */
export function placementFor(cpuIds: readonly number[], k: number): RoundPlacement | undefined {
  const half = Math.floor(cpuIds.length / 2);
  if (half < 1) return undefined;
  const first = cpuIds.slice(0, half).join(',');
  const second = cpuIds.slice(half, 2 * half).join(',');
  return k % 2 === 1 ? { baseline: first, candidate: second } : { baseline: second, candidate: first };
}

/** This machine's CPU ids, 0..n−1. */
export function localCpuIds(): number[] {
  return cpus().map((_, i) => i);
}
