import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../services/common/env.ts';
import { parseModelRef, trainerConfigFromEnv } from '../../services/trainer/config.ts';

const base = { STORAGE_ACCESS_KEY: 'ak', STORAGE_SECRET_KEY: 'sk', REGISTRY_TOKEN: 't' };

describe('trainerConfigFromEnv', () => {
  it('applies the documented defaults', () => {
    expect(trainerConfigFromEnv(base)).toMatchObject({
      registryUrl: 'http://registry:5000',
      modelBucket: 'models',
      modelName: 'penguins',
      alias: 'production',
      dataPath: 'data/penguins.csv',
      seed: 42,
      newVersion: false,
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
  ])('TRAINER_NEW_VERSION=%s → %s', (raw, want) => {
    expect(trainerConfigFromEnv({ ...base, TRAINER_NEW_VERSION: raw }).newVersion).toBe(want);
  });

  it.each([
    [{ TRAINER_NEW_VERSION: 'maybe' }, /TRAINER_NEW_VERSION="maybe" must be one of/],
    [{ TRAINER_SEED: '-1' }, /TRAINER_SEED=-1 is out of range/],
    [{ MODEL: 'penguins' }, /MODEL="penguins" must be <name>@<alias>/],
    [{ MODEL: 'a/b@prod' }, /MODEL="a\/b@prod"/],
    [{ MODEL_BUCKET: 'x' }, /MODEL_BUCKET="x" is not a bucket name/],
    [{ STORAGE_SECRET_KEY: '' }, /STORAGE_SECRET_KEY is required/],
  ])('rejects %j', (override, reason) => {
    expect(() => trainerConfigFromEnv({ ...base, ...override })).toThrow(ConfigError);
    expect(() => trainerConfigFromEnv({ ...base, ...override })).toThrow(reason);
  });
});

describe('parseModelRef', () => {
  it('splits at the last @', () => {
    expect(parseModelRef('penguins@staging')).toEqual({ name: 'penguins', alias: 'staging' });
  });
  it.each(['@prod', 'penguins@', 'pen guins@prod', 'penguins@pro.d'])('rejects %s', (ref) => {
    expect(() => parseModelRef(ref)).toThrow(ConfigError);
  });
});
