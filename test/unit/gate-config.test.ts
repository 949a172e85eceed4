// gate.yaml parsing: a full config becomes a typed GateConfig; a malformed one reports every problem at once, each
// with its file, line, column and path.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../toolkit/errors.ts';
import { loadGateConfig, parseFraction, parseGateConfig } from '../../toolkit/gate/config.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const GOOD = `
run:
  scenario: predict
  users: 16
  duration: 5s
  warmup: 2s
  replicas: [1, 2]
  repeat: 2
thresholds:
  - "http_req_failed: rate==0"
  - threshold: "p(95)<300"
    replicas: 2
scaling:
  - "efficiency(2) >= 0.7"
  - recommended == 2
generator: warn
regression:
  metric: p95
  maxRegression: 10%
  samples: 5
  baseline: baselines/main.json
`;

describe('parseGateConfig', () => {
  it('parses a full config into typed checks with defaults filled in', () => {
    const { config, problems } = parseGateConfig(GOOD, '/x/gate.yaml');
    expect(problems).toEqual([]);
    expect(config!.run).toEqual({
      scenario: 'predict',
      users: 16,
      batch: 1,
      duration: '5s',
      warmup: '2s',
      replicas: [1, 2],
      repeat: 2,
    });
    expect(config!.thresholds).toEqual([
      {
        text: 'http_req_failed: rate==0',
        metric: 'http_req_failed',
        aggregation: 'rate',
        op: '==',
        value: 0,
        replicas: null,
      },
      {
        text: 'http_req_duration: p(95)<300',
        metric: 'http_req_duration',
        aggregation: 'p(95)',
        op: '<',
        value: 300,
        replicas: [2],
      },
    ]);
    expect(config!.scaling).toEqual([
      { kind: 'efficiency', text: 'efficiency(2) >= 0.7', n: 2, op: '>=', value: 0.7 },
      { kind: 'recommended', text: 'recommended == 2', op: '==', value: 2 },
    ]);
    expect(config!.generator).toBe('warn');
    expect(config!.regression).toMatchObject({
      metric: 'p95',
      samples: 5,
      maxRounds: 4,
      inconclusive: 'warn',
      baseline: 'baselines/main.json',
      policy: { better: 'lower', maxRegression: 0.1, alpha: 0.05, confidence: 0.95, resamples: 2000 },
    });
  });

  it('accepts an empty file as all defaults', () => {
    const { config } = parseGateConfig('', 'gate.yaml');
    expect(config).toMatchObject({
      run: { replicas: [1], repeat: 3 },
      thresholds: [],
      generator: 'fail',
      regression: null,
    });
  });

  it('reports every problem of a malformed config, each with line:column and path', () => {
    const bad = [
      'run:', //                                  1
      '  replicas: [2, 1]', //                    2
      '  users: 4', //                            3
      '  rate: 10', //                            4
      '  durations: 5s', //                       5
      'thresholds:', //                           6
      '  - "p(95)<abc"', //                       7
      '  - "checks: rate>0.9"', //                8
      '  - threshold: "p(95)<300"', //            9
      '    replicas: 3', //                       10
      'scaling:', //                              11
      '  - "efficiency(4) >= 0.7"', //            12
      '  - "speedup > 2"', //                     13
      'generator: maybe', //                      14
      'regression:', //                           15
      '  maxRegression: 150%', //                 16
      '  samples: 1', //                          17
    ].join('\n');
    const { config, problems } = parseGateConfig(bad, '/somewhere/gate.yaml');
    expect(config).toBeUndefined();
    const lines = problems.map((p) => `${p.location}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'gate.yaml:5:3 run.durations: unknown setting',
        'gate.yaml:14:12 generator: must be one of fail, warn',
        'gate.yaml:17:12 regression.samples: must be >= 3',
        expect.stringMatching(
          /^gate\.yaml:7:5 thresholds\[0\]: failed parsing threshold expression "p\(95\)<abc" at character 7/,
        ),
        expect.stringMatching(/^gate\.yaml:8:5 thresholds\[1\]: .*checks is not recorded per run/),
        'gate.yaml:9:5 thresholds[2]: replica count 3 is not measured (run.replicas)',
        'gate.yaml:12:5 scaling[0]: efficiency(4) >= 0.7 needs replica counts 1 and 4 in run.replicas',
        expect.stringMatching(/^gate\.yaml:13:5 scaling\[1\]: scaling rule "speedup > 2": expected/),
      ]),
    );
    // Sections the schema rejected are not checked twice; the rest still are.
    expect(problems.length).toBe(8);
  });

  it('reports run-level rule problems once the schema is satisfied', () => {
    const { problems } = parseGateConfig('run:\n  replicas: [2, 1]\n  users: 4\n  rate: 10\n', 'gate.yaml');
    expect(problems.map((p) => `${p.location}: ${p.message}`)).toEqual([
      'gate.yaml:2:13 run.replicas: 1 after 2 is out of order',
      expect.stringMatching(/^gate\.yaml:2:3 run: --users and --rate together/),
    ]);
  });

  it('locates YAML syntax errors', () => {
    const { problems } = parseGateConfig('run:\n  replicas: [1, 2\n', 'gate.yaml');
    expect(problems[0].location).toMatch(/^gate\.yaml:\d+:\d+$/);
    expect(problems[0].message.length).toBeGreaterThan(0);
  });

  it('rejects a regression replica count that is not measured, and a sweep on a fixed target', () => {
    const { problems } = parseGateConfig(
      'run:\n  replicas: [1, 2]\n  target: http://127.0.0.1:8000\nregression:\n  replicas: 4\n',
      'gate.yaml',
    );
    expect(problems.map((p) => `${p.location}: ${p.message}`)).toEqual([
      'gate.yaml:3:11 run.target: a target is one fixed service: measure one replica count, not a sweep',
      'gate.yaml:5:13 regression.replicas: replica count 4 is not measured (run.replicas: 1, 2)',
    ]);
  });
});

describe('loadGateConfig', () => {
  it('throws a UsageError (exit 2) naming a missing file', async () => {
    const err = await loadGateConfig('/nonexistent/gate.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toBe('gate config /nonexistent/gate.yaml: no such file');
  });

  it('throws one UsageError listing every problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gate-config-'));
    dirs.push(dir);
    await writeFile(join(dir, 'gate.yaml'), 'generator: maybe\nscaling: ["nope"]\n');
    const err = await loadGateConfig(join(dir, 'gate.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /^invalid gate config \(2 problems\):\n {2}gate\.yaml:1:12 generator: .*\n {2}gate\.yaml:2:11 scaling\[0\]/,
    );
  });
});

describe('parseFraction', () => {
  it('reads percentages and fractions', () => {
    expect(parseFraction('5%')).toBeCloseTo(0.05, 12);
    expect(parseFraction(0.1)).toBe(0.1);
    expect(() => parseFraction('150%')).toThrow(/between 0 and 100%/);
    expect(() => parseFraction('five')).toThrow(/not a fraction/);
  });
});
