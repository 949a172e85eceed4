// regression.compare sides: a string stays a loopback URL; {image} and {commit} (with env) become typed sides; a
// malformed side reports each problem at its line and column; command-line flags replace one side at a time.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../toolkit/errors.ts';
import { parseGateConfig } from '../../toolkit/gate/config.ts';
import { type CompareSide, describeSide, sidesFromFlags } from '../../toolkit/gate/side-spec.ts';

const RUN = 'run:\n  target: http://127.0.0.1:8000\n';
const withCompare = (sides: string) => `${RUN}regression:\n  metric: rps-per-cpu\n  compare:\n${sides}`;

describe('regression.compare sides in gate.yaml', () => {
  it('keeps a plain string a URL side (simultaneous by default)', () => {
    const { config, problems } = parseGateConfig(
      withCompare('    baseline: http://127.0.0.1:8001\n    candidate: http://127.0.0.1:8002\n'),
      'gate.yaml',
    );
    expect(problems).toEqual([]);
    expect(config!.regression!.compare).toEqual({
      baseline: { kind: 'url', url: 'http://127.0.0.1:8001' },
      candidate: { kind: 'url', url: 'http://127.0.0.1:8002' },
      mode: 'simultaneous',
    });
  });

  it('reads image and commit sides with their env (numbers become strings)', () => {
    const yaml = withCompare(
      [
        '    mode: interleaved',
        '    baseline:',
        '      image: replica-toolkit/services:abc',
        '    candidate:',
        '      commit: HEAD~1',
        '      env:',
        '        SLOWDOWN_PCT: 60',
        '        LOG_LEVEL: warn',
        '',
      ].join('\n'),
    );
    const { config, problems } = parseGateConfig(yaml, 'gate.yaml');
    expect(problems).toEqual([]);
    expect(config!.regression!.compare).toEqual({
      baseline: { kind: 'image', image: 'replica-toolkit/services:abc', env: {} },
      candidate: { kind: 'commit', commit: 'HEAD~1', env: { SLOWDOWN_PCT: '60', LOG_LEVEL: 'warn' } },
      mode: 'interleaved',
    });
  });

  it('reports every malformed side with its location', () => {
    const yaml = withCompare(
      [
        '    baseline:', //                          6
        '      image: a:1', //                       7
        '      commit: HEAD', //                     8
        '    candidate:', //                         9
        '      image: ""', //                        10
        '      tag: x', //                           11
        '      env:', //                             12
        '        PORT: 9000', //                     13
        '        "1BAD": x', //                      14
        '        NESTED: {a: 1}', //                 15
        '',
      ].join('\n'),
    );
    const { config, problems } = parseGateConfig(yaml, '/x/gate.yaml');
    expect(config).toBeUndefined();
    expect(problems.map((p) => `${p.location}: ${p.message}`)).toEqual([
      'gate.yaml:7:7 regression.compare.baseline: give image or commit, not both',
      'gate.yaml:11:7 regression.compare.candidate.tag: unknown setting (image, commit or env)',
      'gate.yaml:10:14 regression.compare.candidate.image: must be a non-empty string',
      'gate.yaml:13:9 regression.compare.candidate.env.PORT: PORT is set by the toolkit for every side container',
      'gate.yaml:14:9 regression.compare.candidate.env.1BAD: not a valid environment variable name',
      'gate.yaml:15:17 regression.compare.candidate.env.NESTED: must be a string, number or boolean',
    ]);
  });

  it('rejects a side that is neither a string nor a mapping, a side with neither image nor commit, and a ref option', () => {
    const yaml = withCompare('    baseline: [1, 2]\n    candidate:\n      env: {A: b}\n');
    const { problems } = parseGateConfig(yaml, 'gate.yaml');
    expect(problems.map((p) => `${p.location}: ${p.message}`)).toEqual([
      'gate.yaml:6:15 regression.compare.baseline: expected a loopback URL, {image: <tag>} or {commit: <git ref>}',
      'gate.yaml:8:7 regression.compare.candidate: needs image: <tag> or commit: <git ref>',
    ]);
    const opt = parseGateConfig(
      withCompare('    baseline: {commit: --output=x}\n    candidate: {image: a}\n'),
      'g.yaml',
    );
    expect(opt.problems.map((p) => p.message)).toEqual(['a git ref cannot start with "-"']);
  });

  it('still checks a URL side as a load target (loopback only)', () => {
    const yaml = withCompare('    baseline: http://10.0.0.1:8000\n    candidate: {image: a}\n');
    const { problems } = parseGateConfig(yaml, 'gate.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0].location).toBe('gate.yaml:6:15 regression.compare.baseline');
  });
});

describe('sides from the command line', () => {
  const url = (u: string): CompareSide => ({ kind: 'url', url: u });
  const configured = {
    baseline: url('http://127.0.0.1:8001'),
    candidate: { kind: 'image', image: 'old:1', env: { SLOWDOWN_PCT: '60' } } as CompareSide,
  };

  it('changes nothing without flags', () => {
    expect(sidesFromFlags({}, configured, 'gate.yaml')).toBeUndefined();
  });

  it('replaces one side and keeps the config side env', () => {
    expect(sidesFromFlags({ candidateCommit: 'main' }, configured, 'gate.yaml')).toEqual({
      baseline: configured.baseline,
      candidate: { kind: 'commit', commit: 'main', env: { SLOWDOWN_PCT: '60' } },
    });
    expect(sidesFromFlags({ baselineImage: 'a:1', candidateImage: 'b:2' }, undefined, 'gate.yaml')).toEqual({
      baseline: { kind: 'image', image: 'a:1', env: {} },
      candidate: { kind: 'image', image: 'b:2', env: {} },
    });
  });

  it.each([
    [{ baselineImage: 'a:1', baselineCommit: 'HEAD' }, /^--baseline-image and --baseline-commit together/],
    [{ candidateImage: 'a:1', candidateCommit: 'HEAD' }, /^--candidate-image and --candidate-commit together/],
    [
      { candidateImage: 'a:1' },
      /^a candidate was given on the command line, but gate\.yaml has no regression\.compare baseline/,
    ],
    [{ baselineCommit: '-x' }, /^--baseline-commit "-x" is not a git ref/],
    [{ baselineImage: ' ' }, /^--baseline-image " " is not an image tag/],
  ])('usage error (exit 2): %o', (flags, message) => {
    const err = (() => {
      try {
        sidesFromFlags(flags, undefined, 'gate.yaml');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(message);
  });

  it('names sides for people', () => {
    expect(describeSide(configured.candidate)).toBe('image old:1 (SLOWDOWN_PCT=60)');
    expect(describeSide({ kind: 'commit', commit: 'HEAD', env: {} })).toBe('commit HEAD');
    expect(describeSide(configured.baseline)).toBe('http://127.0.0.1:8001');
  });
});

describe('regression.swap in gate.yaml', () => {
  const images = '    baseline: {image: "a:1"}\n    candidate: {image: "a:1"}\n';
  const parse = (extra: string, sides = images) => parseGateConfig(withCompare(sides) + extra, 'gate.yaml');

  it('swaps every window when sampling windows, every round otherwise, unless told', () => {
    expect(parse('  window: 1s\n').config!.regression!.swap).toBe('window');
    expect(parse('').config!.regression!.swap).toBe('round');
    expect(parse('  window: 1s\n  swap: round\n').config!.regression!.swap).toBe('round');
  });

  it('rejects a swap that cannot apply, at its line', () => {
    const noWindow = parse('  swap: window\n');
    expect(noWindow.config).toBeUndefined();
    expect(noWindow.problems).toEqual([
      {
        location: 'gate.yaml:8:9 regression.swap',
        message: 'swapping every window needs regression.window (e.g. 1s); or write swap: round',
      },
    ]);
    const interleaved = parse('  swap: round\n', `    mode: interleaved\n${images}`);
    expect(interleaved.problems.map((p) => p.message)).toEqual([
      'CPUs are swapped between the sides of regression.compare in simultaneous mode only',
    ]);
    const unknown = parse('  window: 1s\n  swap: always\n');
    expect(unknown.problems.map((p) => `${p.location}: ${p.message}`)).toEqual([
      'gate.yaml:9:9 regression.swap: must be one of window, round',
    ]);
  });
});
