// `lb strategy` input → settings, all problems at once and nothing applied; the remembered settings and how they
// merge with flags; which requests a switch file can serve without a new config.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savedSpecFile, saveSpec } from '../../toolkit/engine/saved-spec.ts';
import { RuntimeError, UsageError } from '../../toolkit/errors.ts';
import { switchable } from '../../toolkit/lb/live.ts';
import { resolveStrategyRequest } from '../../toolkit/lb/request.ts';
import { type LbSettings, mergeLiveLb, readLbState, writeLbState } from '../../toolkit/lb/state.ts';
import { readRenderedLb } from '../../toolkit/render/lb-health.ts';
import { renderNginx } from '../../toolkit/render/nginx.ts';
import { DEFAULT_SPEC, type StackSpec } from '../../toolkit/spec/index.ts';

const current: LbSettings = { strategy: 'round_robin', hashKey: '$remote_addr', weights: { 1: 2 } };

describe('resolveStrategyRequest', () => {
  it.each<[Parameters<typeof resolveStrategyRequest>[0], LbSettings]>([
    [{ name: 'least_conn' }, { ...current, strategy: 'least_conn' }],
    [
      { name: 'weighted', weights: '1=3,2=1' },
      { ...current, strategy: 'weighted', weights: { 1: 3, 2: 1 } },
    ],
    [{ name: 'weighted' }, { ...current, strategy: 'weighted' }],
    [
      { name: 'hash', key: '$http_x_user' },
      { ...current, strategy: 'hash', hashKey: '$http_x_user' },
    ],
    [{ name: 'random_two_least_conn' }, { ...current, strategy: 'random_two_least_conn' }],
  ])('%j', (req, want) => {
    expect(resolveStrategyRequest(req, current, [1, 2])).toEqual(want);
  });

  it.each<[Parameters<typeof resolveStrategyRequest>[0], RegExp]>([
    [{ name: 'fastest' }, /unknown strategy "fastest" \(one of round_robin, .*random_two_least_conn\)/],
    [{ name: 'hash' }, /strategy hash needs a key/],
    [{ name: 'hash', key: '$x; evil' }, /--key: .* is not an nginx key/],
    [{ name: 'weighted', weights: '1=3,3=1' }, /replica 3 does not exist \(replicas: 1, 2\)/],
    [{ name: 'weighted', weights: '1=0' }, /--weights: weight of replica 1: must be ≥ 1/],
    [{ name: 'weighted', weights: 'heavy' }, /--weights: .* is not a list like 1=3,2=1/],
    [{ name: 'least_conn', weights: '1=2' }, /--weights applies only to strategy weighted/],
    [{ name: 'ip_hash', key: '$remote_addr' }, /--key applies only to strategy hash/],
  ])('%j is a usage error: %s', (req, reason) => {
    const err = (() => {
      try {
        resolveStrategyRequest(req, current, [1, 2]);
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err!.exitCode).toBe(2);
    expect(err!.message).toMatch(/^nothing changed: /);
    expect(err!.message).toMatch(reason);
  });

  it('reports every problem at once, and skips the replica check before Docker is asked', () => {
    expect(() => resolveStrategyRequest({ name: 'nope', key: '$a', weights: '9=1' }, current, [1])).toThrow(
      /unknown strategy.*replica 9 does not exist/,
    );
    expect(resolveStrategyRequest({ name: 'weighted', weights: '9=1' }, current).weights).toEqual({ 9: 1 });
  });
});

describe("lb settings in the running stack's saved spec", () => {
  let cwd = '';
  const where = () => ({ cwd, project: 'p' });
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'lb-state-'));
  });
  afterAll(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('has nothing to read or update before the engine saved a spec', async () => {
    expect(await readLbState(where())).toBeUndefined();
    expect(await writeLbState(where(), current)).toBe(false);
  });

  it('updates only lb in the saved spec, and reads it back', async () => {
    const spec: StackSpec = { ...structuredClone(DEFAULT_SPEC), project: 'p', port: 9123, cwd };
    await saveSpec(spec);
    expect(await readLbState(where())).toEqual(spec.lb);
    const lb: LbSettings = { strategy: 'hash', hashKey: '$http_x_user', weights: { 2: 5 } };
    expect(await writeLbState(where(), lb)).toBe(true);
    expect(await readLbState(where())).toEqual(lb);
    expect(JSON.parse(await readFile(savedSpecFile(where()), 'utf8'))).toMatchObject({ port: 9123, replicas: 2 });
  });

  it('refuses a saved lb value the config file would refuse, naming the fix', async () => {
    await writeFile(
      savedSpecFile(where()),
      JSON.stringify({ lb: { strategy: 'hash', hashKey: '$x;evil', weights: {} } }),
    );
    await expect(readLbState(where())).rejects.toThrow(RuntimeError);
    await expect(readLbState(where())).rejects.toMatchObject({ hint: expect.stringMatching(/toolkit up/) });
  });
});

describe("merging the running stack's lb settings", () => {
  it('merges field by field: a flag given now, else what was applied, else the spec', () => {
    const spec: StackSpec = { ...structuredClone(DEFAULT_SPEC), cwd: '/x' };
    const applied: LbSettings = { strategy: 'weighted', hashKey: '$http_x_user', weights: { 1: 3 } };
    expect(mergeLiveLb(spec, {}, undefined).lb).toEqual(spec.lb);
    expect(mergeLiveLb(spec, {}, applied).lb).toEqual(applied);
    const flagged = { ...spec, lb: { ...spec.lb, strategy: 'ip_hash' as const } };
    expect(mergeLiveLb(flagged, { strategy: 'ip_hash' }, applied).lb).toEqual({ ...applied, strategy: 'ip_hash' });
  });
});

describe('switchable without a new config', () => {
  const conf = renderNginx({ project: 'p', lb: { strategy: 'round_robin', hashKey: '$remote_addr', weights: {} } }, [
    { replica: 1, address: '10.0.0.2:8000', weight: 3 },
    { replica: 2, address: '10.0.0.3:8000', weight: 1 },
  ]);
  const r = readRenderedLb(conf)!;
  it.each<[LbSettings, boolean]>([
    [{ strategy: 'least_conn', hashKey: '$http_x_user', weights: {} }, true],
    [{ strategy: 'hash', hashKey: '$remote_addr', weights: {} }, true],
    [{ strategy: 'hash', hashKey: '$http_x_user', weights: {} }, false],
    [{ strategy: 'weighted', hashKey: '$remote_addr', weights: { 1: 3 } }, true],
    [{ strategy: 'weighted', hashKey: '$remote_addr', weights: { 1: 3, 2: 2 } }, false],
  ])('%j → %s', (lb, want) => {
    expect(switchable(r, lb)).toBe(want);
  });
});
