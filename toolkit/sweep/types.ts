// The sweep's data: what a load test hands back, what the sweep needs from the outside world, and what it records
// in results/<run-id>/sweep.json. The report is rendered from this record alone, so it can be re-rendered later.
import type { Recommendation } from '../analyse/recommend.ts';
import type { Spread } from '../analyse/stats.ts';
import type { LoadtestResult } from '../load/types.ts';

/** One k6 run as toolkit/load reports it (results/<run-id>/result.json). */
export type { LoadtestResult };

/** One inference replica's resource use from the Docker stats API. */
export interface ReplicaStats {
  replica: number;
  /** Container name. */
  container: string;
  /** Container id; its first 12 characters are the replica's hostname. */
  id?: string;
  /** Percent of one CPU (100 = one core busy), as `docker stats` shows it. */
  cpuPercent: number;
  memoryMiB: number;
}

/** What the sweep needs from the engine and the load runner; the CLI wires the real ones, tests pass fakes. */
export interface SweepDeps<L> {
  /** Converges the stack to n ready inference replicas. */
  scaleTo(n: number): Promise<void>;
  loadtest(opts: L): Promise<LoadtestResult>;
  replicaStats(): Promise<ReplicaStats[]>;
  /** Pause between stats samples while a measurement runs (default 2000 ms). */
  statsIntervalMs?: number;
  /** Clock, injectable so recorded runs render the same timestamps. */
  now?: () => Date;
}

export interface SweepOptions<L> {
  /** Replica counts to measure, validated by parseCounts: ascending, distinct, 1..maxReplicas. */
  counts: number[];
  /** Measured runs per count. */
  repeat: number;
  /** k6 duration of the discarded warm-up run per count (`0s`: none). */
  warmup: string;
  /** Latency objective, e.g. `p(95)<300`. */
  slo?: string;
  maxReplicas: number;
  /** Options for each measured run; warm-ups reuse them with `duration` replaced by `warmup`. */
  loadtest: L;
  /** Where results/<run-id>/ goes. */
  resultsDir: string;
  /** Defaults to `sweep-<UTC timestamp>`. */
  runId?: string;
}

export type LatencyStats = Record<'avg' | 'p50' | 'p90' | 'p95' | 'p99' | 'max', Spread>;

export interface ReplicaUsage {
  replica: number;
  container: string;
  id?: string;
  /** Median over the samples taken while the measured runs were going. */
  cpuPercent: number;
  /** Highest sample. */
  memoryMiB: number;
  samples: number;
}

export interface SweepLevel {
  replicas: number;
  /** The measured runs (warm-ups are not kept). */
  runs: LoadtestResult[];
  throughput: Spread;
  latency: LatencyStats;
  errorRate: Spread;
  /** Requests share per replica summed over the runs. */
  perReplica: Array<{ replica: string; requests: number; share: number }>;
  usage: ReplicaUsage[];
  trusted: boolean;
  /** Why a run at this count is not trusted (from the generator check), deduplicated. */
  untrustedReasons: string[];
}

export interface UslSummary {
  sigma: number;
  kappa: number;
  lambda: number;
  r2: number;
  /** null when κ = 0: throughput never turns down. */
  peakN: number | null;
}

export interface SweepResult {
  kind: 'sweep';
  version: 1;
  runId: string;
  startedAt: string;
  finishedAt: string;
  counts: number[];
  repeat: number;
  warmup: string;
  slo?: string;
  /** The load shape shared by every run. */
  load: { model: 'closed' | 'open'; scenario: string; vus?: number; rate?: number; durationSec: number };
  levels: SweepLevel[];
  usl: UslSummary | null;
  /** Why there is no fit (fewer than three counts, or the solver failed). */
  uslNote?: string;
  recommendation: Recommendation;
  /** X(N)/(N·X(1)); X(1) is the measured median at one replica, or the fitted λ when 1 was not measured. */
  efficiency: Array<{ replicas: number; efficiency: number }>;
}
