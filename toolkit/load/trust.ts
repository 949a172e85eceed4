// Whether a result measures the service or the load generator: k6 shares this machine with the stack, so a
// starved host or skipped arrivals make the numbers untrustworthy, and every output must say so.
import type { GeneratorHealth } from './types.ts';

/** Below this host-wide idle CPU the generator competes with the service for cores. */
export const MIN_HOST_IDLE_PERCENT = 20;

/** `unmeasured`: why CPU could not be measured when it is not a missing /proc (generators on other nodes). */
export function judgeGenerator(
  m: {
    cpuPercent: number | null;
    hostIdlePercent: number | null;
    droppedIterations: number;
  },
  unmeasured?: string,
): GeneratorHealth {
  const reasons: string[] = [];
  if (m.hostIdlePercent === null) reasons.push(unmeasured ?? 'host CPU idle could not be measured (no /proc/stat)');
  else if (m.hostIdlePercent < MIN_HOST_IDLE_PERCENT) {
    reasons.push(
      `host CPU idle was ${m.hostIdlePercent.toFixed(1)}% (< ${MIN_HOST_IDLE_PERCENT}%): k6 and the stack competed for CPU`,
    );
  }
  if (m.droppedIterations > 0) {
    reasons.push(`${m.droppedIterations} dropped iterations: k6 could not offer the target arrival rate`);
  }
  return {
    cpuPercent: m.cpuPercent,
    hostIdlePercent: m.hostIdlePercent,
    trusted: reasons.length === 0,
    reasons,
  };
}
