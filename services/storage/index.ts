// The storage service: an S3-compatible subset (path-style) over a local directory, SigV4-checked.
import { EnvReader } from '../common/env.ts';
import type { ServiceHandle } from '../common/service.ts';
import { buildStorageApp } from './server.ts';
import { ObjectStore } from './store.ts';

export interface StorageConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  accessKey: string;
  secretKey: string;
  region: string;
  logLevel: string;
  /** Largest object accepted by PutObject. */
  maxObjectBytes: number;
}

export const DEFAULT_MAX_OBJECT_BYTES = 512 * 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function storageConfigFromEnv(env: Record<string, string | undefined>): StorageConfig {
  const r = new EnvReader(env);
  return r.done({
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 9000, 0, 65535),
    dataDir: r.string('STORAGE_DATA_DIR', '/data'),
    accessKey: r.string('STORAGE_ACCESS_KEY'),
    secretKey: r.string('STORAGE_SECRET_KEY'),
    region: r.string('STORAGE_REGION', 'us-east-1'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    maxObjectBytes: DEFAULT_MAX_OBJECT_BYTES,
  });
}

export async function startStorage(cfg: StorageConfig): Promise<ServiceHandle> {
  const store = await ObjectStore.open(cfg.dataDir);
  const app = buildStorageApp({
    store,
    credentials: { accessKey: cfg.accessKey, secretKey: cfg.secretKey, region: cfg.region },
    maxObjectBytes: cfg.maxObjectBytes,
    logLevel: cfg.logLevel,
  });
  await app.listen({ host: cfg.host, port: cfg.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  const host = ['0.0.0.0', '::', ''].includes(cfg.host) ? '127.0.0.1' : cfg.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => app.close(),
  };
}
