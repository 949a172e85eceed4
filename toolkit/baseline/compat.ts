// Is a baseline comparable with what is measured now? A different scenario or load shape makes the comparison
// meaningless (an error, exit 2); a different stack spec or machine makes it doubtful (a loud warning).
import type { MachineInfo } from '../load/run-info.ts';
import type { Baseline, LoadShape } from './store.ts';

export interface Compatibility {
  errors: string[];
  warnings: string[];
}

export interface CurrentConditions {
  load: LoadShape;
  /** The StackSpec measured now (cwd is ignored); null when unknown, e.g. a bare --target. */
  spec: Record<string, unknown> | null;
  machine: MachineInfo | null;
}

const SPEC_IGNORED = new Set(['cwd', 'replicas', 'project', 'port', 'bindAddress']);
const MACHINE_KEYS: Array<keyof MachineInfo> = ['cores', 'cpuModel', 'memoryMiB', 'os', 'node', 'k6'];

export function checkCompatibility(baseline: Baseline, now: CurrentConditions): Compatibility {
  const errors: string[] = [];
  const warnings: string[] = [];
  const b = baseline.load;
  const n = now.load;
  const shape = (l: LoadShape) =>
    l.model === 'open' ? `open model at ${l.rate} req/s` : `closed model with ${l.vus} VUs`;
  if (b.scenario !== n.scenario) {
    errors.push(`the baseline measured scenario '${b.scenario}', this gate measures '${n.scenario}'`);
  }
  if (b.model !== n.model || b.vus !== n.vus || b.rate !== n.rate) {
    errors.push(`the baseline ran a ${shape(b)}, this gate a ${shape(n)}`);
  }
  if (b.batch !== null && n.batch !== null && b.batch !== n.batch) {
    errors.push(`the baseline sent ${b.batch} penguin(s) per request, this gate ${n.batch}`);
  }
  // k6's run time includes the graceful stop, so a second either way is the same duration.
  if (Math.abs(b.durationSec - n.durationSec) > 1.5) {
    warnings.push(`run duration differs: baseline ${b.durationSec.toFixed(1)}s, now ${n.durationSec.toFixed(1)}s`);
  }
  if (baseline.spec && now.spec) {
    const diffs = diffObjects(baseline.spec, now.spec, SPEC_IGNORED);
    if (diffs.length) warnings.push(`DIFFERENT STACK SPEC than the baseline: ${diffs.join('; ')}`);
  } else {
    warnings.push('the stack spec of the baseline or of this run is unknown; cannot tell whether they match');
  }
  if (baseline.machine && now.machine) {
    const diffs = MACHINE_KEYS.filter((k) => String(baseline.machine![k]) !== String(now.machine![k])).map(
      (k) => `${k} ${String(baseline.machine![k])} → ${String(now.machine![k])}`,
    );
    if (diffs.length) warnings.push(`DIFFERENT MACHINE than the baseline: ${diffs.join('; ')}`);
  } else {
    warnings.push('the machine of the baseline or of this run is unknown; cannot tell whether they match');
  }
  return { errors, warnings };
}

/** `resources.cpus 1 → 2`-style differences between two JSON objects. */
export function diffObjects(a: unknown, b: unknown, ignore: ReadonlySet<string> = new Set(), prefix = ''): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys
      .filter((k) => !(prefix === '' && ignore.has(k)))
      .flatMap((k) => diffObjects(a[k], b[k], ignore, prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${prefix} ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
