// Sweep inputs are checked before anything is scaled: a typo in the replica list must not cost a half-run sweep.
import { UsageError } from '../errors.ts';

/** `1,2,4,8` → [1, 2, 4, 8]; the list must be ascending, distinct, whole numbers within 1..maxReplicas. */
export function parseCounts(text: string | undefined, maxReplicas: number): number[] {
  const hint = 'give ascending distinct replica counts, e.g. --replicas 1,2,3,4';
  if (text === undefined || text.trim() === '') throw new UsageError('--replicas: the sweep list is empty', hint);
  const items = text.split(',').map((s) => s.trim());
  const counts = items.map((item) => {
    if (!/^\d+$/.test(item)) throw new UsageError(`--replicas: '${item}' is not a whole number`, hint);
    return Number(item);
  });
  validateCounts(counts, maxReplicas);
  return counts;
}

export function validateCounts(counts: readonly number[], maxReplicas: number): void {
  const hint = 'give ascending distinct replica counts, e.g. --replicas 1,2,3,4';
  if (counts.length === 0) throw new UsageError('--replicas: the sweep list is empty', hint);
  for (const n of counts) {
    if (!Number.isInteger(n)) throw new UsageError(`--replicas: ${n} is not a whole number`, hint);
    if (n < 1) throw new UsageError(`--replicas: ${n} is below 1; a sweep measures running replicas`, hint);
    if (n > maxReplicas) {
      throw new UsageError(
        `--replicas: ${n} is above the maximum of ${maxReplicas}`,
        'raise --max-replicas or drop it',
      );
    }
  }
  const seen = new Set<number>();
  for (const n of counts) {
    if (seen.has(n)) throw new UsageError(`--replicas: ${n} appears twice`, hint);
    seen.add(n);
  }
  for (let i = 1; i < counts.length; i++) {
    if (counts[i] < counts[i - 1]) {
      throw new UsageError(`--replicas: ${counts[i]} after ${counts[i - 1]} is out of order`, hint);
    }
  }
}

export function parseRepeat(text: string | undefined, fallback = 3): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 50) {
    throw new UsageError(`--repeat: '${text}' must be a whole number within 1..50`, 'e.g. --repeat 3');
  }
  return n;
}

/** k6-style duration (`30s`, `1m30s`, `500ms`, `0s`) → seconds; a bare number means seconds. */
export function parseDurationSec(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed = re.lastIndex;
  }
  if (t === '' || consumed !== t.length) {
    throw new UsageError(`${flag}: '${text}' is not a duration`, 'use k6 durations such as 10s, 1m30s or 0s');
  }
  return total;
}
