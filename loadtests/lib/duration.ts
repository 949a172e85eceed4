// k6-style durations ("30s", "1m30s", "500ms", "2h"; a bare number means seconds). Pure: shared by the k6 scripts
// (run inside k6) and the toolkit's option validation (run in Node), so both accept exactly the same strings.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Hard cap on any run: every load test must stop by itself. */
export const MAX_DURATION_MS = 30 * 60_000;

/** Milliseconds, or an error message saying what is wrong with the string. */
export function parseDurationMs(text: string): number | { error: string } {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) {
    return { error: `"${text}" is not a duration; use e.g. 30s, 1m30s, 2m, 500ms` };
  }
  let ms = 0;
  for (const m of s.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return ms;
}

/** The duration in a form k6 accepts, whole milliseconds. */
export function k6Duration(ms: number): string {
  return `${Math.round(ms)}ms`;
}
