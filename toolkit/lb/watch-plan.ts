// The decisions of `toolkit lb watch`, kept pure so they are unit-tested without Docker: which replica belongs in
// nginx's upstream, whether the upstream changed, which Docker events are worth a pass, how often to re-check.

import type { ReadyReplica } from '../engine/rotation.ts';
import { UsageError } from '../errors.ts';

/** What the watcher saw of one local inference replica. */
export interface ReplicaSeen {
  number: number;
  name: string;
  /** `ip:port` on the project network; '' when it has none (not running). */
  address: string;
  /** Docker's state: running, restarting, exited, paused, … */
  state: string;
  /** Docker's health status: healthy, unhealthy, starting, none. */
  health: string;
  /**
   * GET /ready on the container IP: 200; another status (draining, no model); no connection (refused, no route:
   * nothing listens there); or no answer in time (busy, or hung).
   */
  probe: 'ready' | 'not-ready' | 'unreachable' | 'timeout';
  /** nginx routes to this replica at this address now (the recorded rotation). */
  upstream: boolean;
}

/**
 * Leaving is immediate on evidence (not running, unhealthy, /ready saying no, nothing listening); joining needs
 * /ready 200. A probe that merely times out leaves a serving replica where it is (and lets one Docker calls healthy
 * in): a replica busy under load answers late, and dropping it for that would pile its load onto the others and
 * cost a reload each way. Docker marks it unhealthy if it really hangs.
 */
export function belongsUpstream(r: ReplicaSeen): boolean {
  if (r.state !== 'running' || r.address === '' || r.health === 'unhealthy') return false;
  if (r.probe === 'ready') return true;
  if (r.probe === 'timeout') return r.upstream || r.health === 'healthy';
  return false;
}

/** Why a replica is not upstream, for the log (the first reason that applies, in belongsUpstream's order). */
export function whyOut(r: ReplicaSeen): string {
  if (r.state !== 'running') return r.state;
  if (r.address === '') return 'no address on the project network';
  if (r.health === 'unhealthy') return 'unhealthy';
  if (r.probe === 'not-ready') return '/ready not 200';
  if (r.probe === 'unreachable') return 'nothing listening';
  return `no answer to /ready, health ${r.health}`;
}

/**
 * Docker's health status as evidence. Pausing a container stops its health monitor, which sets the status to
 * `unhealthy` with no failed check (moby: "unhealthy when the monitor has stopped for compatibility reasons"); it
 * stays so after the unpause until the next check passes. Only a failing streak makes `unhealthy` real; the other
 * kind says nothing either way, and the /ready probe decides.
 */
export function healthEvidence(status: string | undefined, failingStreak: number | undefined): string {
  if (status === undefined) return 'none';
  if (status === 'unhealthy' && !failingStreak) return 'starting';
  return status;
}

const key = (r: ReadyReplica) => `${r.number}|${r.name}|${r.address}`;

/** Same servers, whatever the order (nginx's rendering sorts them by number). */
export function sameUpstream(a: readonly ReadyReplica[], b: readonly ReadyReplica[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(key));
  return b.every((r) => keys.has(key(r)));
}

export interface UpstreamChange {
  added: ReadyReplica[];
  removed: ReadyReplica[];
}

export function upstreamChange(before: readonly ReadyReplica[], after: readonly ReadyReplica[]): UpstreamChange {
  const was = new Set(before.map(key));
  const now = new Set(after.map(key));
  return { added: after.filter((r) => !was.has(key(r))), removed: before.filter((r) => !now.has(key(r))) };
}

/**
 * One line for the watcher's log, e.g. `2 → 2 replica(s): -p-inference-2@172.18.0.5:8000 (exited)
 * +p-inference-2@172.18.0.7:8000`; `why` names why a replica left, by name, where known.
 */
export function describeChange(
  before: readonly ReadyReplica[],
  after: readonly ReadyReplica[],
  why: Readonly<Record<string, string>> = {},
): string {
  const { added, removed } = upstreamChange(before, after);
  const left = (r: ReadyReplica) => `-${r.name}@${r.address}${why[r.name] ? ` (${why[r.name]})` : ''}`;
  const parts = [...removed.map(left), ...added.map((r) => `+${r.name}@${r.address}`)];
  return `${before.length} → ${after.length} replica(s): ${parts.join(' ') || 'no change'}`;
}

/**
 * Container events that can change who serves. Docker matches `health_status` as a prefix (the action reads
 * `health_status: healthy`), and the others exactly.
 */
export const TRIGGER_EVENTS = ['start', 'die', 'kill', 'stop', 'pause', 'unpause', 'destroy', 'health_status'];

export function isTrigger(action: string | undefined): boolean {
  if (!action) return false;
  return TRIGGER_EVENTS.includes(action) || action.startsWith('health_status');
}

export const DEFAULT_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 10 * 60_000;

/** `--interval`: `1s`, `500ms`, `2m` or plain seconds, between 100ms and 10m. */
export function parseIntervalMs(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_INTERVAL_MS;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`--interval "${raw}" is not a duration like 1s, 500ms or 2m`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw new UsageError(`--interval ${raw} must be between 100ms and 10m`);
  }
  return ms;
}

/**
 * How long to wait before the next pass. The local engine is woken by Docker events, so its timer only catches a
 * missed event (slow) — except while a running replica is not ready yet, whose joining nobody announces but a
 * health_status event that can come up to a health interval late. Swarm has no usable events here: it is polled.
 * A skipped pass (busy project) looks again soon; a failed one (reload refused, Docker away) backs off, so a lasting
 * fault is not retried every second.
 */
export function nextPassInMs(opts: {
  engine: 'local' | 'swarm';
  intervalMs: number;
  pending: number;
  outcome: PassOutcome;
}): number {
  const slow = Math.max(opts.intervalMs * 10, 5000);
  if (opts.outcome === 'error') return slow;
  if (opts.engine === 'swarm' || opts.pending > 0 || opts.outcome === 'locked') return opts.intervalMs;
  return slow;
}

/** unchanged: nginx already routes to exactly these; locked: another toolkit command held the project. */
export type PassOutcome = 'unchanged' | 'applied' | 'locked' | 'error';
