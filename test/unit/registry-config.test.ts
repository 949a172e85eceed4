import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../services/common/env.ts';
import { registryConfigFromEnv } from '../../services/registry/index.ts';

const base = { STORAGE_ACCESS_KEY: 'ak', STORAGE_SECRET_KEY: 'sk', REGISTRY_TOKEN: 't' };

describe('registryConfigFromEnv', () => {
  it('applies the documented defaults', () => {
    expect(registryConfigFromEnv(base)).toEqual({
      host: '0.0.0.0',
      port: 5000,
      storage: { url: 'http://storage:9000', accessKey: 'ak', secretKey: 'sk', region: 'us-east-1' },
      bucket: 'registry',
      token: 't',
      logLevel: 'info',
    });
  });

  it('reads overrides', () => {
    const cfg = registryConfigFromEnv({
      ...base,
      HOST: '127.0.0.1',
      PORT: '0',
      STORAGE_URL: 'http://127.0.0.1:9999/',
      REGISTRY_BUCKET: 'reg-2',
      LOG_LEVEL: 'silent',
    });
    expect(cfg).toMatchObject({ host: '127.0.0.1', port: 0, bucket: 'reg-2', logLevel: 'silent' });
    expect(cfg.storage.url).toBe('http://127.0.0.1:9999');
  });

  it.each([
    [{ PORT: 'abc' }, /PORT="abc" is not a whole number/],
    [{ PORT: '70000' }, /PORT=70000 is out of range/],
    [{ REGISTRY_TOKEN: '' }, /REGISTRY_TOKEN is required/],
    [{ STORAGE_URL: 'not a url' }, /STORAGE_URL="not a url" is not a URL/],
    [{ REGISTRY_BUCKET: 'Bad_Bucket' }, /REGISTRY_BUCKET="Bad_Bucket" is not a bucket name/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud" must be one of/],
  ])('rejects %j with a one-line reason', (override, reason) => {
    expect(() => registryConfigFromEnv({ ...base, ...override })).toThrow(ConfigError);
    expect(() => registryConfigFromEnv({ ...base, ...override })).toThrow(reason);
  });
});
