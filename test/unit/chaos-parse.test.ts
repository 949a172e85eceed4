// Pure parts of scale and chaos: argument checks (bad input is a UsageError before anything acts), exit reasons,
// and nginx access-log analysis for "executed twice".
import { describe, expect, it } from 'vitest';
import { executedTwice, parseAccessLine } from '../../toolkit/chaos/access-log.ts';
import { parseSignal } from '../../toolkit/chaos/kill.ts';
import { parseDurationMs } from '../../toolkit/chaos/pause.ts';
import { targetChoice } from '../../toolkit/chaos/target.ts';
import { parseCount, parseWaitMs } from '../../toolkit/commands/scale.ts';
import { describeExit } from '../../toolkit/engine/exits.ts';
import { UsageError } from '../../toolkit/errors.ts';

describe('scale arguments', () => {
  it('accepts whole numbers, 0 only when allowed', () => {
    expect(parseCount('3', false)).toBe(3);
    expect(parseCount('0', true)).toBe(0);
    for (const bad of ['-1', '0', 'two', '1.5', '']) expect(() => parseCount(bad, false)).toThrow(UsageError);
    expect(parseWaitMs('5')).toBe(5000);
    expect(parseWaitMs(undefined)).toBeUndefined();
    expect(() => parseWaitMs('-1')).toThrow(UsageError);
  });
});

describe('chaos arguments', () => {
  it('signals by name, SIG-name or number', () => {
    expect(parseSignal(undefined)).toBe('SIGKILL');
    expect(parseSignal('term')).toBe('SIGTERM');
    expect(parseSignal('9')).toBe('SIGKILL');
    expect(() => parseSignal('NOPE')).toThrow(UsageError);
  });
  it('durations and targets', () => {
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs(undefined)).toBe(5000);
    for (const bad of ['0s', '11m', 'soon']) expect(() => parseDurationMs(bad)).toThrow(UsageError);
    expect(targetChoice('2', undefined)).toEqual({ replica: 2 });
    expect(targetChoice(undefined, true)).toEqual({ random: true });
    expect(() => targetChoice(undefined, undefined)).toThrow(/--replica <n> or --random/);
    expect(() => targetChoice('2', true)).toThrow(/not both/);
    expect(() => targetChoice('0', undefined)).toThrow(UsageError);
  });
});

describe('exit reasons', () => {
  it('reads signals, OOM and errors', () => {
    expect(describeExit(137, false, '')).toBe('killed by SIGKILL');
    expect(describeExit(143, false, '')).toBe('killed by SIGTERM');
    expect(describeExit(137, true, '')).toBe('OOM killed');
    expect(describeExit(1, false, 'boom')).toBe('exited with code 1; boom');
    expect(describeExit(0, false, '')).toBe('exited normally');
  });
});

describe('access log', () => {
  const line = (o: Record<string, unknown>) =>
    JSON.stringify({ time: '2026-01-01T00:00:00+00:00', status: 200, request_time: 0.01, ...o });
  it('flags a POST tried on a second upstream after its connection to the first was made, and repeated ids', () => {
    const log = [
      line({
        request_id: 'a',
        method: 'POST',
        upstream_addr: '10.0.0.2:8000, 10.0.0.3:8000',
        upstream_connect_time: '-, 0.001',
      }),
      line({
        request_id: 'b',
        method: 'POST',
        upstream_addr: '10.0.0.2:8000, 10.0.0.3:8000',
        upstream_connect_time: '0.001, 0.001',
      }),
      line({
        request_id: 'c',
        method: 'GET',
        upstream_addr: '10.0.0.2:8000, 10.0.0.3:8000',
        upstream_connect_time: '0.001, 0.001',
      }),
      line({
        request_id: 'e',
        method: 'POST',
        // Answered 503 by the first replica (it ran nothing), then by nginx's 503 retry: not executed twice.
        upstream_addr: '10.0.0.2:8000 : 10.0.0.3:8000',
        upstream_status: '503 : 200',
        upstream_connect_time: '0.001 : 0.001',
      }),
      line({ request_id: 'd', method: 'POST', upstream_addr: '10.0.0.2:8000', upstream_connect_time: '0.001' }),
      line({ request_id: 'd', method: 'POST', upstream_addr: '10.0.0.2:8000', upstream_connect_time: '0.001' }),
      'not json',
    ]
      .map(parseAccessLine)
      .filter((r) => r !== null);
    expect(log).toHaveLength(6);
    expect(log[0].upstreams).toEqual(['10.0.0.2:8000', '10.0.0.3:8000']);
    expect(executedTwice(log).sort()).toEqual(['b', 'd']);
  });

  it('times a request to the millisecond from $msec, to whole seconds without it', () => {
    const withMsec = parseAccessLine(line({ msec: 1767225600.123, request_id: 'm' }));
    expect(withMsec?.time).toBe(Date.parse('2026-01-01T00:00:00.123Z'));
    expect(parseAccessLine(line({ request_id: 'n' }))?.time).toBe(Date.parse('2026-01-01T00:00:00Z'));
  });
});
