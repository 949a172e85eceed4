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

/** One line for the watcher's log, e.g. `2 → 2 replica(s): -toolkit-inference-2@172.18.0.5:8000 +…@172.18.0.7:8000`. */
export function describeChange(before: readonly ReadyReplica[], after: readonly ReadyReplica[]): string {
  const { added, removed } = upstreamChange(before, after);
  const parts = [...removed.map((r) => `-${r.name}@${r.address}`), ...added.map((r) => `+${r.name}@${r.address}`)];
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
 */
export function nextPassInMs(opts: {
  engine: 'local' | 'swarm';
  intervalMs: number;
  pending: number;
  outcome: PassOutcome;
}): number {
  if (opts.engine === 'swarm' || opts.pending > 0 || opts.outcome === 'locked' || opts.outcome === 'error') {
    return opts.intervalMs;
  }
  return Math.max(opts.intervalMs * 10, 5000);
}

/** unchanged: nginx already routes to exactly these; locked: another toolkit command held the project. */
export type PassOutcome = 'unchanged' | 'applied' | 'locked' | 'error';
