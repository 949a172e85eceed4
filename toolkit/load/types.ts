// The load-test runner's inputs and outputs: what `toolkit loadtest`, the scaling sweep and the reports share.

export type LoadModel = 'closed' | 'open';

export interface LoadtestOptions {
  /** A file in loadtests/ without `.ts`: predict, health, mixed, ramp, spike, open-model. */
  scenario: string;
  /** Virtual users (closed model). Not together with `rate`. */
  users?: number;
  /** Arrivals per second (open model). Not together with `users`. */
  rate?: number;
  /** k6 duration: 30s, 1m30s, 2m ... at most 30m. */
  duration: string;
  /** Penguins per /predict body. */
  batch: number;
  /** k6 syntax: `p(95)<200` (on http_req_duration) or `http_req_failed: rate<0.01`. Empty: the defaults. */
  thresholds: string[];
  /** Loopback only: http://127.0.0.1:<port>. */
  baseUrl: string;
  /** Sortable id YYYYMMDD-HHMMSS-xxxx; made up when absent. */
  runId?: string;
  /** Where run directories go, relative to cwd; default `results`. */
  resultsDir?: string;
  /** k6 processes sharing the load through execution segments, 1..16; default 1 (one k6, as always). */
  generators?: number;
  /** CPUs the k6 process may run on, as a taskset list (`0`, `0-1`, `0,2`); default any. One generator only. */
  cpus?: string;
}

export interface Latency {
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ReplicaShare {
  /** The X-Replica header value; `none` for responses without one (errors from nginx itself). */
  replica: string;
  requests: number;
  /** Fraction of all requests, 0..1. */
  share: number;
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
}

export interface GeneratorHealth {
  /** CPU used by the k6 process, percent of one core, averaged over the run; null when /proc is unavailable. */
  cpuPercent: number | null;
  /** Host-wide idle CPU over the run, percent; null when /proc is unavailable. */
  hostIdlePercent: number | null;
  /** False when the load generator itself may have been the bottleneck; `reasons` say why. */
  trusted: boolean;
  reasons: string[];
}

export interface LoadtestResult {
  runId: string;
  dir: string;
  model: LoadModel;
  scenario: string;
  vus?: number;
  rate?: number;
  durationSec: number;
  requests: number;
  /** k6's http_reqs rate, verbatim. */
  rps: number;
  /** k6's http_req_duration stats in ms, verbatim. */
  latency: Latency;
  /** k6's http_req_failed rate (0..1). */
  errorRate: number;
  droppedIterations: number;
  perReplica: ReplicaShare[];
  thresholds: ThresholdResult[];
  generator: GeneratorHealth;
  /** k6 processes merged into this result; absent means one (then every figure is k6's own). */
  generators?: number;
  /**
   * Who judged the thresholds: `k6` (one process: k6's own verdict) or `merged` (K processes: the toolkit
   * evaluated k6's threshold expressions over the merged samples; each k6's own verdict saw only its slice).
   * Absent means `k6`.
   */
  thresholdVerdict?: 'k6' | 'merged';
  /** One entry per k6 process when `generators` > 1. */
  generatorRuns?: GeneratorRun[];
}

/** What one of K k6 processes did, as its own summary and /proc saw it. */
export interface GeneratorRun {
  index: number;
  /** k6's --execution-segment, e.g. `1/2:1`. */
  segment: string;
  /** results/<run-id>/generators/<index>. */
  dir: string;
  requests: number;
  rps: number;
  droppedIterations: number;
  /** CPU of this k6 process, percent of one core. */
  cpuPercent: number | null;
  k6Exit: { code: number | null; signal: string | null };
  /** k6's own verdict on its slice alone; informative only, never the exit code. */
  k6ThresholdsOk: boolean;
  /** The Swarm node that ran it (generators as Swarm tasks); absent for a local process. */
  node?: string;
}
