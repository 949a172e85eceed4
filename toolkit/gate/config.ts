// gate.yaml in stages: read → YAML parse → schema (gate.schema.json) → rules → a typed GateConfig, with every
// problem reported at once as `gate.yaml:12:5 thresholds[1]: reason`, so one edit fixes them all.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { UsageError } from '../errors.ts';
import { validateOptions } from '../load/validate.ts';
import { parseDurationSec, validateCounts } from '../sweep/validate.ts';
import { keyNode, type Path, schemaErrors, validateSchema } from './config-schema.ts';
import { type AbsoluteThreshold, parseGateThreshold, parseScalingRule, type ScalingRule } from './rules.ts';
import { type CompareSide, parseSide, SIDE_ROLES } from './side-spec.ts';
import { DEFAULT_POLICY, type RegressionPolicy } from './verdict.ts';

/**
 * Rounds before an inconclusive result stands. Four: on the 2-core machine, with the sides' CPUs swapped every
 * window, a 10 % regression was caught in 18 of 20 comparisons with 4 rounds and 16 with 3 (two needed the fourth),
 * A/A 0 false fails in 20, 25 % 20 of 20 (bench/README.md, bench/gate run 12). With one placement per round
 * (swap: round) four also gives each placement two rounds.
 */
export const DEFAULT_MAX_ROUNDS = 4;

export type CompareMode = 'interleaved' | 'simultaneous';
export type SwapEvery = 'round' | 'window';
export type RegressionMetric = 'rps' | 'rps-per-cpu' | 'avg' | 'p50' | 'p90' | 'p95' | 'p99';

export interface RunConfig {
  scenario: string;
  users?: number;
  rate?: number;
  batch: number;
  duration: string;
  warmup: string;
  replicas: number[];
  repeat: number;
  target?: string;
}

export interface RegressionConfig {
  metric: RegressionMetric;
  /** Replica count compared; undefined: the last measured one. */
  replicas?: number;
  policy: RegressionPolicy;
  samples: number;
  /** Seconds per window: rps-per-cpu in simultaneous mode samples windows of one long run instead of short runs. */
  window?: number;
  duration?: string;
  maxRounds: number;
  /** A fail must reproduce in a second round (default: on when maxRounds ≥ 2). */
  confirm?: boolean;
  /**
   * Simultaneous image/commit sides: their CPU halves swap before every window (windowed rps-per-cpu; each sample then
   * pairs one window per placement) or every round. Undefined: every window when `window` is set, else every round.
   */
  swap?: SwapEvery;
  inconclusive: 'warn' | 'fail';
  baseline?: string;
  /**
   * Two sides measured alternately (interleaved) or both at once (simultaneous, paired): live loopback URLs, or
   * images / commits that the gate runs as containers on the stack's network (toolkit/gate/sides.ts).
   */
  compare?: { baseline: CompareSide; candidate: CompareSide; mode: CompareMode };
}

export interface GateConfig {
  file: string;
  run: RunConfig;
  thresholds: AbsoluteThreshold[];
  scaling: ScalingRule[];
  generator: 'fail' | 'warn';
  regression: RegressionConfig | null;
}

export interface GateProblem {
  /** `gate.yaml:12:5 thresholds[1]` */
  location: string;
  message: string;
}

export const RUN_DEFAULTS = { scenario: 'predict', batch: 1, duration: '10s', warmup: '3s', replicas: [1], repeat: 3 };

const fmtPath = (path: Path) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';

export async function loadGateConfig(file: string): Promise<GateConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `gate config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      'write a gate.yaml (see ci/gate.yaml and gate.schema.json) or pass --config <file>',
    );
  }
  const { config, problems } = parseGateConfig(text, file);
  if (!config) {
    const lines = problems.map((p) => `${p.location}: ${p.message}`);
    throw new UsageError(
      `invalid gate config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`,
      'the schema is gate.schema.json',
    );
  }
  return config;
}

export function parseGateConfig(text: string, file: string): { config?: GateConfig; problems: GateProblem[] } {
  const name = basename(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const problems: GateProblem[] = [];
  const at = (path: Path, message: string, onKey = false) => {
    const node = onKey
      ? keyNode(doc.getIn(path.slice(0, -1), true), path[path.length - 1])
      : path.length === 0
        ? doc.contents
        : doc.getIn(path, true);
    const offset = (node as { range?: [number, number] } | undefined)?.range?.[0];
    const pos = offset === undefined ? '' : `:${lines.linePos(offset).line}:${lines.linePos(offset).col}`;
    problems.push({ location: `${name}${pos} ${fmtPath(path)}`, message });
  };
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    problems.push({ location: `${name}${pos ? `:${pos.line}:${pos.col}` : ''}`, message: e.message.split('\n')[0] });
  }
  if (problems.length > 0) return { problems };
  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    at([], 'expected a mapping of settings (run, thresholds, scaling, generator, regression)');
    return { problems };
  }
  const checked = { ...(raw as Record<string, unknown>) };
  if (!validateSchema(raw)) {
    for (const e of schemaErrors(validateSchema.errors ?? [])) {
      at(e.path, e.message, e.unknownKey);
      // The rules below still check the sections the schema accepted, so one pass reports every problem.
      delete checked[String(e.path[0])];
    }
  }
  const config = buildConfig(checked as RawGate, file, at);
  return problems.length > 0 ? { problems } : { config, problems };
}

interface RawGate {
  run?: Partial<RunConfig>;
  thresholds?: Array<string | { threshold: string; replicas?: number | number[] }>;
  scaling?: string[];
  generator?: 'fail' | 'warn';
  regression?: Partial<Omit<RegressionConfig, 'policy' | 'window' | 'compare'>> & {
    compare?: { baseline?: unknown; candidate?: unknown; mode?: CompareMode };
    window?: string;
    maxRegression?: string | number;
    alpha?: number;
    confidence?: number;
    resamples?: number;
    seed?: number;
  };
}

type At = (path: Path, message: string, onKey?: boolean) => void;

function buildConfig(raw: RawGate, file: string, at: At): GateConfig {
  const run: RunConfig = { ...RUN_DEFAULTS, ...raw.run };
  const tryIt = (path: Path, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      at(path, (err as Error).message.replace(/^--replicas: /, ''));
    }
  };
  tryIt(['run', 'replicas'], () => validateCounts(run.replicas, Number.MAX_SAFE_INTEGER));
  tryIt(['run', 'warmup'], () => parseDurationSec(run.warmup, 'warmup'));
  if (run.target !== undefined && run.replicas.length > 1) {
    at(['run', 'target'], 'a target is one fixed service: measure one replica count, not a sweep');
  }
  tryIt(['run'], () => checkLoad(run, run.target ?? 'http://127.0.0.1:8000'));

  const counts = new Set(run.replicas);
  const thresholds: AbsoluteThreshold[] = [];
  (raw.thresholds ?? []).forEach((item, i) => {
    const text = typeof item === 'string' ? item : item.threshold;
    const replicas = typeof item === 'string' || item.replicas === undefined ? null : [item.replicas].flat();
    tryIt(['thresholds', i], () => {
      const t = parseGateThreshold(text, replicas);
      const missing = (replicas ?? []).filter((n) => !counts.has(n));
      if (missing.length) throw new Error(`replica count ${missing.join(', ')} is not measured (run.replicas)`);
      thresholds.push(t);
    });
  });
  const scaling: ScalingRule[] = [];
  (raw.scaling ?? []).forEach((text, i) => {
    tryIt(['scaling', i], () => {
      const rule = parseScalingRule(text);
      if (rule.kind === 'efficiency' && !(counts.has(1) && counts.has(rule.n))) {
        throw new Error(`${rule.text} needs replica counts 1 and ${rule.n} in run.replicas`);
      }
      scaling.push(rule);
    });
  });
  return {
    file,
    run,
    thresholds,
    scaling,
    generator: raw.generator ?? 'fail',
    regression: regression(raw, run, tryIt, at),
  };
}

function checkLoad(run: RunConfig, baseUrl: string): void {
  try {
    validateOptions({ ...run, thresholds: [], baseUrl });
  } catch (err) {
    throw new Error((err as Error).message.replace(/^invalid load test options:\n\s*/, '').replace(/\n\s*/g, '; '));
  }
}

function regression(
  raw: RawGate,
  run: RunConfig,
  tryIt: (path: Path, fn: () => void) => void,
  at: At,
): RegressionConfig | null {
  const r = raw.regression;
  if (!r) return null;
  let maxRegression = DEFAULT_POLICY.maxRegression;
  tryIt(['regression', 'maxRegression'], () => {
    if (r.maxRegression !== undefined) maxRegression = parseFraction(r.maxRegression);
  });
  if (r.replicas !== undefined && !r.compare && !run.replicas.includes(r.replicas)) {
    tryIt(['regression', 'replicas'], () => {
      throw new Error(`replica count ${r.replicas} is not measured (run.replicas: ${run.replicas.join(', ')})`);
    });
  }
  if (r.duration !== undefined)
    tryIt(['regression', 'duration'], () => checkLoad({ ...run, duration: r.duration! }, 'http://127.0.0.1:8000'));
  const sides: Partial<Record<(typeof SIDE_ROLES)[number], CompareSide>> = {};
  for (const role of SIDE_ROLES) {
    if (r.compare?.[role] === undefined) continue;
    const path = ['regression', 'compare', role];
    const side = parseSide(r.compare[role], (p, message, onKey) => at([...path, ...p], message, onKey));
    if (side?.kind === 'url') tryIt(path, () => checkLoad(run, side.url));
    if (side) sides[role] = side;
  }
  let windowSec: number | undefined;
  if (r.window !== undefined) {
    tryIt(['regression', 'window'], () => {
      windowSec = parseDurationSec(String(r.window), 'window');
      if (!(windowSec >= 0.5 && windowSec <= 60)) throw new Error(`${r.window}: a window lasts from 0.5s to 60s`);
      if (r.metric !== 'rps-per-cpu' || r.compare?.mode === 'interleaved') {
        throw new Error('windows need metric rps-per-cpu and regression.compare in simultaneous mode');
      }
    });
  }
  if (r.swap !== undefined) {
    tryIt(['regression', 'swap'], () => {
      if (!r.compare || r.compare.mode === 'interleaved')
        throw new Error('CPUs are swapped between the sides of regression.compare in simultaneous mode only');
      if (r.swap === 'window' && r.window === undefined)
        throw new Error('swapping every window needs regression.window (e.g. 1s); or write swap: round');
    });
  }
  const metric = r.metric ?? 'rps';
  if (metric === 'rps-per-cpu' && !r.compare) {
    tryIt(['regression', 'metric'], () => {
      throw new Error("rps-per-cpu reads each service's /metrics, so it needs regression.compare (two live targets)");
    });
  }
  return {
    metric,
    replicas: r.replicas,
    policy: {
      better: metric === 'rps' || metric === 'rps-per-cpu' ? 'higher' : 'lower',
      maxRegression,
      alpha: r.alpha ?? DEFAULT_POLICY.alpha,
      confidence: r.confidence ?? DEFAULT_POLICY.confidence,
      resamples: r.resamples ?? DEFAULT_POLICY.resamples,
      seed: r.seed ?? DEFAULT_POLICY.seed,
    },
    samples: r.samples ?? 8,
    window: windowSec,
    duration: r.duration,
    maxRounds: r.maxRounds ?? DEFAULT_MAX_ROUNDS,
    confirm: r.confirm,
    swap: swapEvery({ swap: r.swap, window: windowSec }),
    inconclusive: r.inconclusive ?? 'warn',
    baseline: r.baseline,
    compare:
      r.compare && sides.baseline && sides.candidate
        ? { baseline: sides.baseline, candidate: sides.candidate, mode: r.compare.mode ?? 'simultaneous' }
        : undefined,
  };
}

/** Where the sides' CPUs swap in a simultaneous A/B: the configured choice, else every window when sampling windows. */
export function swapEvery(config: Pick<RegressionConfig, 'swap' | 'window'>): SwapEvery {
  return config.swap ?? (config.window !== undefined ? 'window' : 'round');
}

/** `5%`, `0.05` or 0.05 → 0.05; within (0, 1). */
export function parseFraction(v: string | number): number {
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(s);
  if (!m) throw new Error(`'${s}' is not a fraction; write 5% or 0.05`);
  const x = Number(m[1]) / (m[2] ? 100 : 1);
  if (!(x > 0 && x < 1)) throw new Error(`'${s}' must lie between 0 and 100%`);
  return x;
}
