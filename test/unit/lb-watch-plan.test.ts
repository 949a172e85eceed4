// The watcher's decisions: who belongs upstream, when the upstream changed, which events wake it, how often it looks.
import { describe, expect, it } from 'vitest';
import type { ReadyReplica } from '../../toolkit/engine/rotation.ts';
import { UsageError } from '../../toolkit/errors.ts';
import { parseEvent } from '../../toolkit/lb/watch-local.ts';
import {
  belongsUpstream,
  DEFAULT_INTERVAL_MS,
  describeChange,
  healthEvidence,
  isTrigger,
  nextPassInMs,
  parseIntervalMs,
  type ReplicaSeen,
  sameUpstream,
  upstreamChange,
  whyOut,
} from '../../toolkit/lb/watch-plan.ts';

const seen = (over: Partial<ReplicaSeen>): ReplicaSeen => ({
  number: 1,
  name: 'p-inference-1',
  address: '172.18.0.5:8000',
  state: 'running',
  health: 'healthy',
  probe: 'ready',
  upstream: false,
  ...over,
});

describe('belongsUpstream', () => {
  it.each([
    ['running, healthy, /ready 200', {}, true],
    ['running, health starting, /ready 200 (ready before the first check)', { health: 'starting' }, true],
    ['healthy but slow to answer /ready (busy under load): in', { probe: 'timeout' as const }, true],
    [
      'serving, not yet called healthy, slow to answer: stays',
      { health: 'starting', probe: 'timeout' as const, upstream: true },
      true,
    ],
    ['not serving, not healthy, slow to answer: not yet', { health: 'starting', probe: 'timeout' as const }, false],
    ['healthy but /ready 503 (draining or no model): leaves', { probe: 'not-ready' as const, upstream: true }, false],
    [
      'nothing listens (just restarted): out',
      { health: 'starting', probe: 'unreachable' as const, upstream: true },
      false,
    ],
    ['healthy by Docker but nothing listens: out', { probe: 'unreachable' as const, upstream: true }, false],
    ['unhealthy, even if /ready answers', { health: 'unhealthy', upstream: true }, false],
    ['exited', { state: 'exited', probe: 'unreachable' as const, upstream: true }, false],
    ['restarting', { state: 'restarting' }, false],
    ['paused', { state: 'paused', probe: 'timeout' as const, upstream: true }, false],
    ['no address on the project network', { address: '' }, false],
    ['no healthcheck, /ready 200', { health: 'none' }, true],
    ['no healthcheck, no answer in time', { health: 'none', probe: 'timeout' as const }, false],
  ])('%s', (_what, over, expected) => {
    expect(belongsUpstream(seen(over))).toBe(expected);
  });
});

const r = (number: number, address: string): ReadyReplica => ({ number, name: `p-inference-${number}`, address });

describe('upstream comparison', () => {
  it('is order-blind and sees a new address of the same replica as a change', () => {
    const a = [r(1, '10.0.0.2:8000'), r(2, '10.0.0.3:8000')];
    expect(sameUpstream(a, [...a].reverse())).toBe(true);
    expect(sameUpstream(a, [r(1, '10.0.0.2:8000'), r(2, '10.0.0.9:8000')])).toBe(false);
    expect(sameUpstream(a, a.slice(0, 1))).toBe(false);
    expect(sameUpstream([], [])).toBe(true);
  });

  it('names what left and what joined', () => {
    const before = [r(1, '10.0.0.2:8000'), r(2, '10.0.0.3:8000')];
    const after = [r(1, '10.0.0.2:8000'), r(2, '10.0.0.9:8000')];
    expect(upstreamChange(before, after)).toEqual({ added: [after[1]], removed: [before[1]] });
    expect(describeChange(before, after)).toBe(
      '2 → 2 replica(s): -p-inference-2@10.0.0.3:8000 +p-inference-2@10.0.0.9:8000',
    );
    expect(describeChange(before, before.slice(0, 1))).toBe('2 → 1 replica(s): -p-inference-2@10.0.0.3:8000');
    expect(describeChange(before, before.slice(0, 1), { 'p-inference-2': 'exited' })).toBe(
      '2 → 1 replica(s): -p-inference-2@10.0.0.3:8000 (exited)',
    );
  });

  it("takes Docker's unhealthy as evidence only with a failing streak (a pause sets it with none)", () => {
    expect(healthEvidence('unhealthy', 15)).toBe('unhealthy');
    expect(healthEvidence('unhealthy', 0)).toBe('starting');
    expect(healthEvidence('unhealthy', undefined)).toBe('starting');
    expect(healthEvidence('healthy', 0)).toBe('healthy');
    expect(healthEvidence(undefined, undefined)).toBe('none');
  });

  it('says why a replica is out', () => {
    expect(whyOut(seen({ state: 'paused' }))).toBe('paused');
    expect(whyOut(seen({ health: 'unhealthy' }))).toBe('unhealthy');
    expect(whyOut(seen({ probe: 'not-ready' }))).toBe('/ready not 200');
    expect(whyOut(seen({ probe: 'unreachable' }))).toBe('nothing listening');
    expect(whyOut(seen({ health: 'starting', probe: 'timeout' }))).toBe('no answer to /ready, health starting');
  });
});

describe('events', () => {
  it('wakes on what changes who serves, not on exec or attach', () => {
    for (const a of ['start', 'die', 'kill', 'stop', 'pause', 'unpause', 'destroy', 'health_status: unhealthy']) {
      expect(isTrigger(a), a).toBe(true);
    }
    for (const a of ['exec_create: node -e', 'exec_start: node -e', 'exec_die', 'attach', 'top', '', undefined]) {
      expect(isTrigger(a), String(a)).toBe(false);
    }
  });

  it('parses one event line; garbage is ignored', () => {
    const line = JSON.stringify({ Type: 'container', Action: 'die', Actor: { Attributes: { name: 'p-inference-2' } } });
    expect(parseEvent(line)).toEqual({ action: 'die', name: 'p-inference-2' });
    expect(parseEvent('{"status":"start"}')).toEqual({ action: 'start', name: '' });
    expect(parseEvent('{"Act')).toBeNull();
    expect(parseEvent('')).toBeNull();
  });
});

describe('--interval', () => {
  it('takes ms, s, m and plain seconds', () => {
    expect(parseIntervalMs(undefined)).toBe(DEFAULT_INTERVAL_MS);
    expect(parseIntervalMs('500ms')).toBe(500);
    expect(parseIntervalMs('2s')).toBe(2000);
    expect(parseIntervalMs('1.5')).toBe(1500);
    expect(parseIntervalMs('1m')).toBe(60_000);
  });

  it.each(['', 'fast', '-1s', '50ms', '11m', '1h'])('rejects %j with a usage error', (raw) => {
    expect(() => parseIntervalMs(raw)).toThrow(UsageError);
  });
});

describe('next pass', () => {
  const base = { intervalMs: 1000, pending: 0, outcome: 'unchanged' as const };
  it('local: slow timer when settled, the interval while a replica is not ready yet or after a skip', () => {
    expect(nextPassInMs({ ...base, engine: 'local' })).toBe(10_000);
    expect(nextPassInMs({ ...base, engine: 'local', intervalMs: 200 })).toBe(5000);
    expect(nextPassInMs({ ...base, engine: 'local', pending: 1 })).toBe(1000);
    expect(nextPassInMs({ ...base, engine: 'local', outcome: 'locked' })).toBe(1000);
  });
  it('swarm: polled at the interval', () => {
    expect(nextPassInMs({ ...base, engine: 'swarm' })).toBe(1000);
    expect(nextPassInMs({ ...base, engine: 'swarm', outcome: 'locked' })).toBe(1000);
  });
  it('a failed pass backs off on either engine', () => {
    expect(nextPassInMs({ ...base, engine: 'local', outcome: 'error', pending: 1 })).toBe(10_000);
    expect(nextPassInMs({ ...base, engine: 'swarm', outcome: 'error' })).toBe(10_000);
  });
});
