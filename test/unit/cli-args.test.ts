// Table-driven: command-line arguments → the options object each command function receives.
import { describe, expect, it } from 'vitest';
import { buildCli, type Commands } from '../../toolkit/cli.ts';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { silentProgress } from '../../toolkit/progress.ts';

function recordingCli() {
  const calls: { command: string; args: unknown[] }[] = [];
  const record =
    (command: string) =>
    async (...args: unknown[]) => {
      // Drop the trailing CommandIO so the assertion reads as options only.
      calls.push({ command, args: args.slice(0, -1) });
    };
  const commands = {
    up: record('up'),
    down: record('down'),
    status: record('status'),
    logs: record('logs'),
    config: record('config'),
    loadtest: record('loadtest'),
    sweep: record('sweep'),
    report: record('report'),
    gate: record('gate'),
    baselineSave: record('baselineSave'),
    lbStrategy: record('lbStrategy'),
    lbStats: record('lbStats'),
    scale: record('scale'),
    chaosKill: record('chaosKill'),
    chaosPause: record('chaosPause'),
  } as unknown as Commands;
  const io: CommandIO = {
    cwd: '/nowhere',
    env: {},
    out: () => {},
    progress: silentProgress,
    docker: () => Promise.reject(new Error('no docker in unit tests')),
  };
  const program = buildCli(io, commands);
  for (const cmd of [program, ...program.commands]) cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return { program, calls };
}

const cases: { argv: string[]; command: string; args: unknown[] }[] = [
  { argv: ['up'], command: 'up', args: [{}] },
  {
    argv: ['up', '--replicas', '5', '--port', '9000', '--project', 'demo', '--json'],
    command: 'up',
    args: [{ replicas: '5', port: '9000', project: 'demo', json: true }],
  },
  {
    argv: ['up', '--strategy', 'hash', '--hash-key', '$http_x_user', '--memory', '1g', '--cpus', '0.5'],
    command: 'up',
    args: [{ strategy: 'hash', hashKey: '$http_x_user', memory: '1g', cpus: '0.5' }],
  },
  { argv: ['up', '--bootstrap-images'], command: 'up', args: [{ bootstrapImages: true }] },
  {
    argv: ['up', '--config', 'x.yaml', '--grace-period', '5'],
    command: 'up',
    args: [{ config: 'x.yaml', gracePeriod: '5' }],
  },
  { argv: ['down', '--volumes'], command: 'down', args: [{ volumes: true }] },
  { argv: ['status', '--json', '--project', 'p1'], command: 'status', args: [{ json: true, project: 'p1' }] },
  { argv: ['logs'], command: 'logs', args: [undefined, {}] },
  {
    argv: ['logs', 'inference', '--replica', '2', '-f', '--tail', '10'],
    command: 'logs',
    args: ['inference', { replica: '2', follow: true, tail: '10' }],
  },
  { argv: ['config', '--replicas', '3'], command: 'config', args: [{ replicas: '3' }] },
  {
    argv: ['loadtest', '--scenario', 'predict', '--users', '200', '--duration', '30s', '--batch', '4'],
    command: 'loadtest',
    args: [{ scenario: 'predict', users: '200', duration: '30s', batch: '4' }],
  },
  {
    argv: ['loadtest', '--rate', '50', '--threshold', 'p(95)<200', '--threshold', 'http_req_failed: rate<0.01'],
    command: 'loadtest',
    args: [{ rate: '50', threshold: ['p(95)<200', 'http_req_failed: rate<0.01'] }],
  },
  {
    argv: ['sweep', '--replicas', '1,2,3', '--repeat', '2', '--slo', 'p(95)<300', '--users', '20'],
    command: 'sweep',
    args: [{ replicas: '1,2,3', repeat: '2', slo: 'p(95)<300', users: '20' }],
  },
  { argv: ['report', 'run-1'], command: 'report', args: ['run-1', {}] },
  {
    argv: ['gate', '--config', 'ci/gate.yaml', '--baseline', 'b.json', '--junit', 'j.xml', '--json'],
    command: 'gate',
    args: [{ config: 'ci/gate.yaml', baseline: 'b.json', junit: 'j.xml', json: true }],
  },
  {
    argv: ['gate', '--baseline-image', 'svc:a', '--candidate-commit', 'HEAD~1'],
    command: 'gate',
    args: [{ baselineImage: 'svc:a', candidateCommit: 'HEAD~1' }],
  },
  {
    argv: ['gate', '--baseline-commit', 'main', '--candidate-image', 'svc:b'],
    command: 'gate',
    args: [{ baselineCommit: 'main', candidateImage: 'svc:b' }],
  },
  {
    argv: ['baseline', 'save', 'run-7', '--output', 'x.json'],
    command: 'baselineSave',
    args: ['run-7', { output: 'x.json' }],
  },
  { argv: ['report', '--compare', 'a', 'b'], command: 'report', args: [undefined, { compare: ['a', 'b'] }] },
  { argv: ['lb', 'strategy'], command: 'lbStrategy', args: [undefined, {}] },
  {
    argv: ['lb', 'strategy', 'weighted', '--weights', '1=3,2=1', '--project', 'p1'],
    command: 'lbStrategy',
    args: ['weighted', { weights: '1=3,2=1', project: 'p1' }],
  },
  {
    argv: ['lb', 'strategy', 'hash', '--key', '$http_x_user', '--json'],
    command: 'lbStrategy',
    args: ['hash', { key: '$http_x_user', json: true }],
  },
  { argv: ['lb', 'stats', '--json', '--since', '60s'], command: 'lbStats', args: [{ json: true, since: '60s' }] },
  { argv: ['scale', '3'], command: 'scale', args: ['3', {}] },
  {
    argv: ['scale', '0', '--allow-zero', '--wait', '5', '--project', 'p1', '--json'],
    command: 'scale',
    args: ['0', { allowZero: true, wait: '5', project: 'p1', json: true }],
  },
  { argv: ['chaos', 'kill', '--random'], command: 'chaosKill', args: [{ random: true }] },
  {
    argv: ['chaos', 'kill', '--replica', '2', '--signal', 'TERM', '--json'],
    command: 'chaosKill',
    args: [{ replica: '2', signal: 'TERM', json: true }],
  },
  {
    argv: ['chaos', 'pause', '--replica', '1', '--for', '5s'],
    command: 'chaosPause',
    args: [{ replica: '1', for: '5s' }],
  },
];

describe('CLI arguments → command options', () => {
  it.each(cases)('toolkit $argv', async ({ argv, command, args }) => {
    const { program, calls } = recordingCli();
    await program.parseAsync(argv, { from: 'user' });
    expect(calls).toEqual([{ command, args }]);
  });

  it.each([
    [['up', '--bogus']],
    [['nosuchcommand']],
    [['up', '--replicas']],
    [['down', '--replicas', '3']],
    [['lb', 'strategy', 'hash', '--bogus']],
    [['lb', 'stats', '--weights', '1=2']],
  ])('rejects %j as a usage error', async (argv) => {
    const { program, calls } = recordingCli();
    await expect(program.parseAsync(argv, { from: 'user' })).rejects.toMatchObject({ name: 'CommanderError' });
    expect(calls).toEqual([]);
  });
});
