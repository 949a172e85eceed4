// loadSpec: the layering (defaults ← config file ← TOOLKIT_* ← flags) and every validation rule, with the
// location each problem is reported at, all problems in one error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../toolkit/errors.ts';
import { DEFAULT_SPEC, type LoadSpecInput, loadSpec, resolveSpec, type SpecFlags } from '../../toolkit/spec/index.ts';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'spec-load-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh cwd holding the given files. */
async function dir(files: Record<string, string> = {}): Promise<string> {
  const d = await mkdtemp(join(root, `c${n++}-`));
  for (const [name, text] of Object.entries(files)) await writeFile(join(d, name), text);
  return d;
}

async function problems(input: Partial<LoadSpecInput> & { files?: Record<string, string> }): Promise<string[]> {
  const cwd = input.cwd ?? (await dir(input.files));
  const r = await resolveSpec({ cwd, env: input.env ?? {}, flags: input.flags ?? {}, hostCpus: 2, ...input });
  return r.problems.map((p) => `${p.location}: ${p.message}`);
}

describe('layering', () => {
  it('gives the documented defaults with no sources', async () => {
    const cwd = await dir();
    const spec = await loadSpec({ cwd, env: {}, flags: {} });
    expect(spec).toEqual({ ...DEFAULT_SPEC, cwd });
    expect(spec).toMatchObject({
      project: 'toolkit',
      replicas: 2,
      maxReplicas: 32,
      port: 8000,
      bindAddress: '127.0.0.1',
      resources: { cpus: 1, memoryMiB: 512 },
      lb: { strategy: 'round_robin', hashKey: '$remote_addr', weights: {} },
      model: { name: 'penguins', alias: 'production' },
      gracePeriodSec: 10,
      inference: { maxInflight: 64, maxInstances: 1000, pollIntervalSec: 10 },
      images: { nodeBase: 'node:20-bookworm-slim', nginxBase: 'nginx:stable', bootstrap: 'auto' },
    });
  });

  const yaml = 'replicas: 3\nport: 9001\nresources: { memory: 1g }\nlb: { strategy: least_conn }\nproject: fromfile\n';
  it.each<[string, Record<string, string>, SpecFlags, Record<string, unknown>]>([
    ['file over defaults', {}, {}, { replicas: 3, port: 9001, project: 'fromfile', memoryMiB: 1024 }],
    [
      'env over file',
      { TOOLKIT_REPLICAS: '4', TOOLKIT_MEMORY: '768m' },
      {},
      { replicas: 4, port: 9001, memoryMiB: 768 },
    ],
    ['flags over env', { TOOLKIT_REPLICAS: '4', TOOLKIT_PORT: '9002' }, { replicas: '5' }, { replicas: 5, port: 9002 }],
    ['numbers as flags', {}, { replicas: 6, cpus: 0.5 }, { replicas: 6, cpus: 0.5 }],
    ['empty env is unset', { TOOLKIT_PORT: '' }, {}, { port: 9001 }],
    ['strategy from env', { TOOLKIT_STRATEGY: 'ip_hash' }, {}, { strategy: 'ip_hash' }],
  ])('%s', async (_name, env, flags, want) => {
    const cwd = await dir({ 'toolkit.config.yaml': yaml });
    const s = await loadSpec({ cwd, env, flags, hostCpus: 2 });
    const got = {
      replicas: s.replicas,
      port: s.port,
      project: s.project,
      memoryMiB: s.resources.memoryMiB,
      cpus: s.resources.cpus,
      strategy: s.lb.strategy,
    };
    expect(got).toMatchObject(want);
  });

  it('reads every setting from each source', async () => {
    const cwd = await dir({
      'toolkit.config.json': JSON.stringify({
        project: 'j',
        maxReplicas: 8,
        bind: '127.0.0.2',
        lb: { strategy: 'weighted', weights: { '1': 3, '2': 1 } },
        model: 'm@staging',
        gracePeriod: '30s',
        inference: { maxInflight: 8, maxInstances: 50, pollInterval: 2 },
        images: { nodeBase: 'my/node:20', nginxBase: 'my/nginx:1', bootstrap: 'never' },
      }),
    });
    const s = await loadSpec({
      cwd,
      env: { TOOLKIT_HASH_KEY: '$http_x_user', TOOLKIT_GRACE_PERIOD: '20', TOOLKIT_MODEL: 'penguins@canary' },
      flags: { maxReplicas: '16', bootstrapImages: true, cpus: '1.5' },
    });
    expect(s).toMatchObject({
      project: 'j',
      maxReplicas: 16,
      bindAddress: '127.0.0.2',
      resources: { cpus: 1.5 },
      lb: { strategy: 'weighted', hashKey: '$http_x_user', weights: { '1': 3, '2': 1 } },
      model: { name: 'penguins', alias: 'canary' },
      gracePeriodSec: 20,
      inference: { maxInflight: 8, maxInstances: 50, pollIntervalSec: 2 },
      images: { nodeBase: 'my/node:20', nginxBase: 'my/nginx:1', bootstrap: 'always' },
    });
  });

  it('takes an explicit config path relative to cwd, YAML or JSON', async () => {
    const cwd = await dir({ 'other.yml': 'replicas: 7\n' });
    expect((await loadSpec({ cwd, env: {}, flags: {}, configPath: 'other.yml' })).replicas).toBe(7);
  });

  it('treats an empty config file as no settings', async () => {
    const cwd = await dir({ 'toolkit.config.yaml': '# nothing yet\n' });
    expect((await loadSpec({ cwd, env: {}, flags: {} })).replicas).toBe(2);
  });

  it('lets --bootstrap-images left off (false) keep the lower layers', async () => {
    const s = await loadSpec({
      cwd: await dir(),
      env: { TOOLKIT_BOOTSTRAP_IMAGES: 'never' },
      flags: { bootstrapImages: false },
    });
    expect(s.images.bootstrap).toBe('never');
  });
});

describe('rules', () => {
  const F = 'toolkit.config.yaml';
  it.each<[string, Partial<LoadSpecInput> & { files?: Record<string, string> }, string[]]>([
    ['replicas 0', { flags: { replicas: '0' } }, ['--replicas: must be ≥ 1']],
    [
      'replicas above max',
      { env: { TOOLKIT_REPLICAS: '33' } },
      ['TOOLKIT_REPLICAS: replicas (33) must be ≤ maxReplicas (32)'],
    ],
    [
      'max below default replicas',
      { flags: { maxReplicas: '1' } },
      ['--max-replicas: replicas (2) must be ≤ maxReplicas (1)'],
    ],
    ['replicas not a number', { flags: { replicas: 'three' } }, ['--replicas: not a number']],
    ['replicas fractional', { flags: { replicas: '2.5' } }, ['--replicas: must be a whole number, got 2.5']],
    ['port zero', { flags: { port: '0' } }, ['--port: must be ≥ 1, got 0']],
    ['port too high', { env: { TOOLKIT_PORT: '65536' } }, ['TOOLKIT_PORT: must be ≤ 65535, got 65536']],
    ['port text', { env: { TOOLKIT_PORT: 'http' } }, ['TOOLKIT_PORT: not a number']],
    [
      'project uppercase',
      { flags: { project: 'My' } },
      [expect.stringMatching(/^--project: "My" is not a project name/)],
    ],
    [
      'project leading dash',
      { env: { TOOLKIT_PROJECT: '-x' } },
      [expect.stringMatching(/^TOOLKIT_PROJECT: "-x" is not/)],
    ],
    ['bind not an address', { flags: { bind: 'localhost' } }, ['--bind: "localhost" is not an IPv4 address']],
    ['memory too small', { flags: { memory: '32m' } }, ['--memory: must be ≥ 64 MiB, got 32 MiB']],
    [
      'memory bad unit',
      { env: { TOOLKIT_MEMORY: '1t' } },
      [expect.stringMatching(/^TOOLKIT_MEMORY: "1t" is not a size/)],
    ],
    ['cpus zero', { flags: { cpus: '0' } }, ['--cpus: must be > 0']],
    ['cpus text', { flags: { cpus: 'two' } }, ['--cpus: not a number']],
    ['cpus beyond 4x host', { flags: { cpus: '9' } }, ["--cpus: must be ≤ 8 (4 × the host's 2 cores), got 9"]],
    [
      'unknown strategy',
      { flags: { strategy: 'fastest' } },
      [expect.stringMatching(/^--strategy: "fastest" is not one of round_robin/)],
    ],
    [
      'hash without key',
      { flags: { strategy: 'hash', hashKey: '' } },
      ['--hash-key: strategy hash needs a key, e.g. $remote_addr'],
    ],
    [
      'hash key with a semicolon',
      { flags: { hashKey: '$x; evil' } },
      [expect.stringMatching(/^--hash-key: .* is not an nginx key/)],
    ],
    [
      'weight for a missing replica',
      { env: { TOOLKIT_WEIGHTS: '1=2,5=1' } },
      ['TOOLKIT_WEIGHTS: replica 5 does not exist (replicas: 2)'],
    ],
    [
      'weights malformed',
      { flags: { weights: '1=2,x' } },
      [expect.stringMatching(/^--weights: "1=2,x" is not a list/)],
    ],
    ['weight zero', { flags: { weights: '1=0' } }, ['--weights: weight of replica 1: must be ≥ 1, got 0']],
    [
      'model without alias',
      { flags: { model: 'penguins' } },
      [expect.stringMatching(/^--model: "penguins" is not name@alias/)],
    ],
    ['grace period zero', { flags: { gracePeriod: '0' } }, ['--grace-period: must be ≥ 1 s, got 0']],
    [
      'grace period too long',
      { env: { TOOLKIT_GRACE_PERIOD: '601s' } },
      ['TOOLKIT_GRACE_PERIOD: must be ≤ 600 s, got 601'],
    ],
    [
      'bootstrap mode',
      { env: { TOOLKIT_BOOTSTRAP_IMAGES: 'sometimes' } },
      [expect.stringMatching(/^TOOLKIT_BOOTSTRAP_IMAGES: "sometimes" is not one of auto/)],
    ],
    ['config: unknown key', { files: { [F]: 'replica: 3\n' } }, [`${F}: replica: unknown setting`]],
    ['config: nested unknown key', { files: { [F]: 'lb: { strat: x }\n' } }, [`${F}: lb.strat: unknown setting`]],
    ['config: replicas type', { files: { [F]: 'replicas: many\n' } }, [`${F}: replicas: must be integer`]],
    ['config: replicas 0', { files: { [F]: 'replicas: 0\n' } }, [`${F}: replicas: must be ≥ 1`]],
    [
      'config: enum',
      { files: { [F]: 'lb: { strategy: x }\n' } },
      [expect.stringMatching(/^toolkit.config.yaml: lb.strategy: must be one of round_robin/)],
    ],
    [
      'config: memory',
      { files: { [F]: 'resources: { memory: 10q }\n' } },
      [expect.stringMatching(/^toolkit.config.yaml: resources.memory: "10q" is not a size/)],
    ],
    [
      'config: weights key',
      { files: { [F]: 'lb: { weights: { a: 1 } }\n' } },
      [`${F}: lb.weights.a: is not a replica number (1, 2, …)`],
    ],
    ['config: not a mapping', { files: { [F]: '- 1\n' } }, [`${F}: must be object`]],
    ['config: YAML syntax', { files: { [F]: 'replicas: [1\n' } }, [expect.stringMatching(/^toolkit.config.yaml: /)]],
    [
      'config: JSON syntax',
      { files: { 'toolkit.config.json': '{"replicas":' } },
      [expect.stringMatching(/^toolkit.config.json: /)],
    ],
    [
      'two config files',
      { files: { [F]: '', 'toolkit.config.json': '{}' } },
      ['toolkit.config.yaml, toolkit.config.json: more than one config file; keep one'],
    ],
    ['missing --config', { configPath: 'nope.yaml' }, ['--config: nope.yaml: no such file']],
  ])('%s', async (_name, input, want) => {
    expect(await problems(input)).toEqual(want);
  });

  it('allows 0 replicas only with allowZero', async () => {
    const s = await loadSpec({ cwd: await dir(), env: {}, flags: { replicas: '0', allowZero: true } });
    expect(s.replicas).toBe(0);
  });

  it('reports a bad value even when a later source overrides it', async () => {
    expect(await problems({ env: { TOOLKIT_PORT: 'x' }, flags: { port: '9000' } })).toEqual([
      'TOOLKIT_PORT: not a number',
    ]);
  });

  it('warns, without failing, about weights unused by the strategy and a non-loopback bind', async () => {
    const r = await resolveSpec({ cwd: await dir(), env: {}, flags: { weights: '1=2', bind: '0.0.0.0' } });
    expect(r.spec).toBeDefined();
    expect(r.warnings).toEqual([
      '--weights: weights are used only with strategy weighted (strategy is round_robin)',
      '--bind: the load balancer is published on 0.0.0.0, reachable beyond this machine',
    ]);
  });

  it('throws one UsageError listing every problem from every source, with a hint', async () => {
    const cwd = await dir({ 'toolkit.config.yaml': 'replicas: 0\nport: 70000\nbogus: 1\n' });
    const err = await loadSpec({
      cwd,
      env: { TOOLKIT_PORT: 'abc', TOOLKIT_MEMORY: '1m' },
      flags: { strategy: 'nope', model: 'x', cpus: '-1' },
      hostCpus: 2,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.exitCode).toBe(2);
    expect(e.hint).toMatch(/toolkit.config.yaml/);
    const lines = e.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
    expect(lines).toEqual([
      'toolkit.config.yaml: bogus: unknown setting',
      'toolkit.config.yaml: port: must be ≤ 65535',
      'TOOLKIT_PORT: not a number',
      'TOOLKIT_MEMORY: must be ≥ 64 MiB, got 1 MiB',
      expect.stringMatching(/^--strategy: "nope" is not one of/),
      '--cpus: must be > 0',
      expect.stringMatching(/^--model: "x" is not name@alias/),
      // Rules across settings come last, at the location of the value that won.
      'toolkit.config.yaml: replicas: must be ≥ 1',
    ]);
    expect(e.message).toMatch(/^invalid configuration \(8 problems\):/);
  });

  it('never reads process.env', async () => {
    process.env.TOOLKIT_REPLICAS = '9';
    try {
      expect((await loadSpec({ cwd: await dir(), env: {}, flags: {} })).replicas).toBe(2);
    } finally {
      delete process.env.TOOLKIT_REPLICAS;
    }
  });
});
