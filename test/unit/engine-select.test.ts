// Choosing the engine: `--engine`, `engine:` in the config file or TOOLKIT_ENGINE, validated like every setting;
// saved with the spec so later commands use the engine the stack was started with; placement settings checked.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savedEngine, saveSpec } from '../../toolkit/engine/saved-spec.ts';
import { engineFor, engineKindOf } from '../../toolkit/engine/select.ts';
import { labelsNamed } from '../../toolkit/engine/swarm/preflight.ts';
import { UsageError } from '../../toolkit/errors.ts';
import { loadSpec } from '../../toolkit/spec/index.ts';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'engine-select-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const load = (flags: Record<string, unknown>, env: Record<string, string> = {}, configPath?: string) =>
  loadSpec({ cwd, env, flags, configPath, hostCpus: 2 });

describe('engine setting', () => {
  it('defaults to local and takes swarm from a flag, the environment or the config file', async () => {
    expect((await load({})).engine).toBe('local');
    expect((await load({ engine: 'swarm' })).engine).toBe('swarm');
    expect((await load({}, { TOOLKIT_ENGINE: 'swarm' })).engine).toBe('swarm');
    const file = join(cwd, 'a.yaml');
    await writeFile(file, 'engine: swarm\nplacement:\n  constraints: ["node.labels.zone==a"]\n  spread: ""\n');
    const spec = await load({}, {}, file);
    expect(spec.engine).toBe('swarm');
    expect(spec.placement).toEqual({ constraints: ['node.labels.zone==a'], spread: '' });
  });

  it('rejects an unknown engine and malformed placement with the location of each', async () => {
    const err = await load({ engine: 'k8s' }, { TOOLKIT_PLACEMENT_CONSTRAINTS: 'zone=a' }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain('--engine: "k8s" is not one of local, swarm');
    expect(err.message).toContain('TOOLKIT_PLACEMENT_CONSTRAINTS: "zone=a" is not a constraint');
    const file = join(cwd, 'b.yaml');
    await writeFile(file, 'placement:\n  spread: "rack"\n  extra: 1\n');
    const bad = await load({}, {}, file).catch((e) => e);
    expect(bad.message).toContain('b.yaml: placement.spread: "rack" is not node.id');
    expect(bad.message).toContain('b.yaml: placement.extra: unknown setting');
  });

  it('reads constraints from a list in the environment, separated by ; or ,', async () => {
    const spec = await load({}, { TOOLKIT_PLACEMENT_CONSTRAINTS: 'node.role==worker; node.labels.disk!=hdd' });
    expect(spec.placement.constraints).toEqual(['node.role==worker', 'node.labels.disk!=hdd']);
  });
});

describe('engine of a running stack', () => {
  it('is saved with the spec and used unless --engine names one', async () => {
    const dir = await mkdtemp(join(cwd, 'p-'));
    const swarm = await loadSpec({ cwd: dir, env: {}, flags: { engine: 'swarm', project: 'p' }, hostCpus: 2 });
    expect(await savedEngine(swarm)).toBeNull();
    await saveSpec(swarm);
    expect(await savedEngine(swarm)).toBe('swarm');
    const plain = await loadSpec({ cwd: dir, env: {}, flags: { project: 'p' }, hostCpus: 2 });
    expect(await engineKindOf(plain, undefined)).toBe('swarm');
    const named = await loadSpec({ cwd: dir, env: {}, flags: { project: 'p', engine: 'local' }, hostCpus: 2 });
    expect(await engineKindOf(named, 'local')).toBe('local');
  });

  it('builds the engine of that kind', () => {
    const docker = {} as Parameters<typeof engineFor>[1];
    expect(engineFor('local', docker).kind).toBe('local');
    expect(engineFor('swarm', docker).kind).toBe('swarm');
  });
});

describe('labelsNamed', () => {
  it('finds the node and engine labels constraints depend on, and nothing else', () => {
    expect(labelsNamed(['node.labels.zone==a', 'node.role==manager', 'engine.labels.ssd != true'])).toEqual([
      { kind: 'node', key: 'zone', text: 'node.labels.zone==a' },
      { kind: 'engine', key: 'ssd', text: 'engine.labels.ssd != true' },
    ]);
  });
});
