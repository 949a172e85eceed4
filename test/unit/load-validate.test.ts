// Load-test option validation: every bad option is a UsageError naming the flag, all problems at once, and
// thresholds in k6 syntax are parsed (or rejected with where the mistake is) before k6 starts.
import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../loadtests/lib/duration.ts';
import { checkBaseUrl } from '../../loadtests/lib/limits.ts';
import { DEFAULT_THRESHOLDS, parseThreshold, parseThresholdsEnv } from '../../loadtests/lib/thresholds.ts';
import { loadtestOptions } from '../../toolkit/commands/loadtest.ts';
import { UsageError } from '../../toolkit/errors.ts';
import type { LoadtestOptions } from '../../toolkit/load/types.ts';
import { validateOptions } from '../../toolkit/load/validate.ts';

const base: LoadtestOptions = {
  scenario: 'predict',
  duration: '30s',
  batch: 1,
  thresholds: [],
  baseUrl: 'http://127.0.0.1:8000',
};

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('validateOptions', () => {
  it.each<[string, Partial<LoadtestOptions>, RegExp]>([
    [
      'unknown scenario lists the known ones',
      { scenario: 'soak' },
      /unknown scenario "soak"; known: predict, health, mixed, ramp, spike, open-model/,
    ],
    ['users and rate together', { users: 5, rate: 10 }, /--users and --rate together/],
    ['users zero', { users: 0 }, /--users: 0 is out of range; expected an integer from 1 to 1000/],
    ['users too many', { users: 1001 }, /--users: 1001 is out of range/],
    ['users fractional', { users: 2.5 }, /--users: 2.5 is out of range/],
    ['rate too high', { rate: 10_001 }, /--rate: 10001 is out of range/],
    ['batch zero', { batch: 0 }, /--batch: 0 is out of range/],
    ['duration not a duration', { duration: 'ten' }, /--duration: "ten" is not a duration/],
    ['duration too short', { duration: '500ms' }, /--duration: 500ms is out of range; expected from 1s to 30m/],
    ['duration over the cap', { duration: '31m' }, /--duration: 31m is out of range/],
    ['rate on a VU-shaped scenario', { scenario: 'ramp', rate: 10 }, /scenario ramp sets its own VU shape/],
    ['users on the open-model scenario', { scenario: 'open-model', users: 3 }, /open-model only; use --rate/],
    [
      'a host other than loopback',
      { baseUrl: 'http://10.1.2.3:8000' },
      /may only target 127.0.0.1, localhost or \[::1\]/,
    ],
    ['a run id that escapes the results dir', { runId: '../x' }, /run id "..\/x"/],
    ['a CPU list that is not one', { cpus: '0;1' }, /cpus "0;1": expected a CPU list such as 0, 0-1 or 0,2/],
    ['pinned CPUs with several generators', { cpus: '0', generators: 2 }, /cpus pins one k6 process/],
    [
      'a malformed threshold',
      { thresholds: ['p95<200'] },
      /--threshold: failed parsing threshold expression "p95<200" at character 1/,
    ],
  ])('%s', (_name, patch, message) => {
    expect(usageMessage(() => validateOptions({ ...base, ...patch }))).toMatch(message);
  });

  it('reports every problem at once', () => {
    const msg = usageMessage(() => validateOptions({ ...base, scenario: 'nope', users: 0, duration: 'x', batch: 0 }));
    expect(msg.split('\n')).toHaveLength(5);
  });

  it('picks the load model from the options and the scenario', () => {
    expect(validateOptions(base)).toMatchObject({ model: 'closed', vus: 10, rate: undefined, durationMs: 30_000 });
    expect(validateOptions({ ...base, users: 5 })).toMatchObject({ model: 'closed', vus: 5 });
    expect(validateOptions({ ...base, rate: 50 })).toMatchObject({ model: 'open', rate: 50, vus: undefined });
    expect(validateOptions({ ...base, scenario: 'open-model' })).toMatchObject({ model: 'open', rate: 20 });
    expect(validateOptions({ ...base, scenario: 'spike', users: 40 })).toMatchObject({ model: 'closed', vus: 40 });
  });

  it('groups thresholds into k6 shape, defaults when none are given', () => {
    expect(validateOptions(base).thresholds).toEqual(DEFAULT_THRESHOLDS);
    const v = validateOptions({
      ...base,
      thresholds: [
        'p(95)<200',
        'http_req_failed: rate<0.01',
        'p(99) < 800',
        'http_req_duration{endpoint:predict}: max<2000',
      ],
    });
    expect(v.thresholds).toEqual({
      http_req_duration: ['p(95)<200', 'p(99) < 800'],
      http_req_failed: ['rate<0.01'],
      'http_req_duration{endpoint:predict}': ['max<2000'],
    });
  });
});

describe('threshold syntax', () => {
  it.each([
    ['p(95)<200', { metric: 'http_req_duration', expression: 'p(95)<200' }],
    ['avg <= 50.5', { metric: 'http_req_duration', expression: 'avg <= 50.5' }],
    ['http_reqs: count>100', { metric: 'http_reqs', expression: 'count>100' }],
    ['checks:rate>0.99', { metric: 'checks', expression: 'rate>0.99' }],
    ['dropped_iterations: count==0', { metric: 'dropped_iterations', expression: 'count==0' }],
    ['replica_hits: rate>=10', { metric: 'replica_hits', expression: 'rate>=10' }],
  ])('%s', (text, expected) => {
    expect(parseThreshold(text)).toEqual(expected);
  });

  it.each([
    [
      'p95<200',
      /at character 1: aggregation "p95" is not valid for http_req_duration \(trend\); use avg, min, max, med or p\(N\)/,
    ],
    ['p(95)200', /at character 1: aggregation "p\(95\)200" is not valid/],
    ['p(95)<', /at character 7: "" is not a number/],
    ['p(95)<abc', /at character 7: "abc" is not a number/],
    [
      'http_req_failed: p(95)<1',
      /at character 18: aggregation "p\(95\)" is not valid for http_req_failed \(rate\); use rate/,
    ],
    ['http_req_failed: rate 0.01', /at character 23: missing operator/],
    ['<200', /at character 1: missing aggregation method/],
    ['p(101)<1', /aggregation "p\(101\)" is not valid/],
    ['http_req_duraton: p(95)<1', /no metric named "http_req_duraton"/],
  ])('rejects %s', (text, message) => {
    expect(() => parseThreshold(text)).toThrow(message);
  });

  it('reads THRESHOLDS as JSON or as k6 syntax lists', () => {
    expect(parseThresholdsEnv('{"http_req_duration":["p(95)<300"]}')).toEqual({ http_req_duration: ['p(95)<300'] });
    expect(parseThresholdsEnv('p(95)<300; http_req_failed: rate<0.01')).toEqual({
      http_req_duration: ['p(95)<300'],
      http_req_failed: ['rate<0.01'],
    });
    expect(parseThresholdsEnv('')).toEqual({});
    expect(() => parseThresholdsEnv('{"http_req_failed":"rate<0.01"}')).toThrow(/must be an array of strings/);
    expect(() => parseThresholdsEnv('{"http_req_failed":["p(95)<1"]}')).toThrow(/not valid for http_req_failed/);
    expect(() => parseThresholdsEnv('{nope')).toThrow(/not valid JSON/);
  });
});

describe('durations and targets', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['1.5m', 90_000],
    ['45', 45_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it('refuses anything but loopback', () => {
    expect(checkBaseUrl('http://localhost:8000/')).toBe('http://localhost:8000');
    expect(checkBaseUrl('http://[::1]:8000')).toBe('http://[::1]:8000');
    expect(() => checkBaseUrl('http://127.0.0.1.evil.com:8000')).toThrow(/may only target/);
    expect(() => checkBaseUrl('http://example.com')).toThrow(/may only target/);
  });
});

describe('loadtest command flags', () => {
  it('turns raw strings into runner options aimed at the stack port', () => {
    expect(
      loadtestOptions({ scenario: 'mixed', users: '7', duration: '10s', batch: '4', threshold: ['p(90)<100'] }, 8123),
    ).toEqual({
      scenario: 'mixed',
      users: 7,
      rate: undefined,
      duration: '10s',
      batch: 4,
      thresholds: ['p(90)<100'],
      baseUrl: 'http://127.0.0.1:8123',
    });
    expect(loadtestOptions({}, 8000)).toMatchObject({ scenario: 'predict', duration: '30s', batch: 1 });
  });

  it('rejects numbers that are not numbers', () => {
    expect(usageMessage(() => loadtestOptions({ users: 'ten', batch: '' }, 8000))).toBe(
      '--users: "ten" is not a whole number\n--batch: "" is not a whole number',
    );
    expect(usageMessage(() => loadtestOptions({ users: '3', rate: '5' }, 8000))).toMatch(/--users and --rate together/);
    expect(usageMessage(() => loadtestOptions({ target: 'http://192.168.1.5:8000' }, 8000))).toMatch(/may only target/);
  });
});
