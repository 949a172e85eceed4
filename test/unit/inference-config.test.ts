// inferenceConfigFromEnv: defaults from docs/ARCHITECTURE.md, and one ConfigError naming every bad variable.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../services/common/env.ts';
import { DEFAULT_WARMUP_REQUESTS, inferenceConfigFromEnv } from '../../services/inference/config.ts';
import { MAX_FIELD_ERRORS, toFieldErrors } from '../../services/inference/errors.ts';

const creds = { STORAGE_ACCESS_KEY: 'ak', STORAGE_SECRET_KEY: 'sk' };

describe('inferenceConfigFromEnv', () => {
  it('applies the documented defaults', () => {
    const cfg = inferenceConfigFromEnv({ ...creds });
    expect(cfg).toMatchObject({
      host: '0.0.0.0',
      port: 8000,
      storage: { url: 'http://storage:9000', accessKey: 'ak', secretKey: 'sk', region: 'us-east-1' },
      registryUrl: 'http://registry:5000',
      model: { name: 'penguins', alias: 'production' },
      maxInstances: 1000,
      maxInflight: 64,
      bodyLimitBytes: 1_048_576,
      pollIntervalMs: 10_000,
      gracePeriodMs: 10_000,
      drainDelayMs: 1_000,
      logLevel: 'info',
      slowdownPct: 0,
      warmupRequests: DEFAULT_WARMUP_REQUESTS,
    });
    expect(cfg.replicaId.length).toBeGreaterThan(0);
  });

  it('reads every variable', () => {
    const cfg = inferenceConfigFromEnv({
      ...creds,
      HOST: '127.0.0.1',
      PORT: '0',
      STORAGE_URL: 'http://127.0.0.1:9001/',
      REGISTRY_URL: 'http://127.0.0.1:5001',
      MODEL: 'iris@staging',
      MAX_INSTANCES: '10',
      MAX_INFLIGHT: '2',
      BODY_LIMIT_BYTES: '4096',
      POLL_INTERVAL_MS: '200',
      GRACE_PERIOD_MS: '3000',
      DRAIN_DELAY_MS: '0',
      REPLICA_ID: 'r-7',
      LOG_LEVEL: 'warn',
      SLOWDOWN_PCT: '12.5',
      WARMUP_REQUESTS: '0',
    });
    expect(cfg).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      storage: { url: 'http://127.0.0.1:9001' },
      registryUrl: 'http://127.0.0.1:5001',
      model: { name: 'iris', alias: 'staging' },
      maxInstances: 10,
      maxInflight: 2,
      bodyLimitBytes: 4096,
      pollIntervalMs: 200,
      gracePeriodMs: 3000,
      drainDelayMs: 0,
      replicaId: 'r-7',
      logLevel: 'warn',
      slowdownPct: 12.5,
      warmupRequests: 0,
    });
  });

  it('lists every problem in one ConfigError', () => {
    const read = () =>
      inferenceConfigFromEnv({
        PORT: 'eighty',
        MAX_INFLIGHT: '0',
        LOG_LEVEL: 'loud',
        MODEL: 'penguins',
        WARMUP_REQUESTS: '-1',
      });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/STORAGE_ACCESS_KEY is required/);
    expect(read).toThrow(/PORT="eighty" is not a whole number/);
    expect(read).toThrow(/MAX_INFLIGHT=0 is out of range/);
    expect(read).toThrow(/LOG_LEVEL="loud" must be one of/);
    expect(read).toThrow(/WARMUP_REQUESTS=-1 is out of range/);
    expect(read).toThrow(/MODEL="penguins" must look like name@alias/);
  });

  it('rejects a MODEL without an alias even when all else is fine', () => {
    expect(() => inferenceConfigFromEnv({ ...creds, MODEL: 'penguins@' })).toThrow(/MODEL="penguins@"/);
  });
});

describe('toFieldErrors', () => {
  it('maps Ajv paths to FastAPI locations, array indexes as numbers', () => {
    expect(
      toFieldErrors(
        [{ keyword: 'type', instancePath: '/instances/12/a~1b', params: { type: 'number' }, message: 'x' }],
        'body',
      ),
    ).toEqual([{ loc: ['body', 'instances', 12, 'a/b'], msg: 'Input should be of type number', type: 'number_type' }]);
  });

  it('lists at most MAX_FIELD_ERRORS problems and says how many it left out', () => {
    const many = Array.from({ length: MAX_FIELD_ERRORS + 5 }, (_, i) => ({
      keyword: 'required',
      instancePath: `/instances/${i}`,
      params: { missingProperty: 'sex' },
    }));
    const out = toFieldErrors(many, 'body');
    expect(out).toHaveLength(MAX_FIELD_ERRORS + 1);
    expect(out[0]).toEqual({ loc: ['body', 'instances', 0, 'sex'], msg: 'Field required', type: 'missing' });
    expect(out.at(-1)).toEqual({ loc: ['body'], msg: '5 more problems not listed', type: 'too_many_errors' });
  });
});
