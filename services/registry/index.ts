// The registry service: an MLflow-style model registry whose only state lives in the storage bucket.
// It listens at once, even while storage is down (so /health answers and the container is not
// restarted in a loop), and keeps trying to create its bucket in the background; until that
// succeeds, API calls answer 503 with the reason.
import type { S3Client } from '@aws-sdk/client-s3';
import Fastify from 'fastify';
import { ConfigError, EnvReader } from '../common/env.ts';
import { makeS3Client, type StorageAccess } from '../common/s3.ts';
import type { ServiceHandle } from '../common/service.ts';
import { bearerAuth } from './auth.ts';
import { installErrorHandlers } from './errors.ts';
import { JsonStore, StorageUnavailableError } from './json-store.ts';
import { registryRoutes } from './routes.ts';
import { RegistryStore } from './store.ts';

export interface RegistryConfig {
  host: string;
  port: number;
  storage: StorageAccess;
  bucket: string;
  token: string;
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function registryConfigFromEnv(env: Record<string, string | undefined>): RegistryConfig {
  const r = new EnvReader(env);
  const cfg: RegistryConfig = {
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 5000, 0, 65535),
    storage: {
      url: r.url('STORAGE_URL', 'http://storage:9000'),
      accessKey: r.string('STORAGE_ACCESS_KEY'),
      secretKey: r.string('STORAGE_SECRET_KEY'),
      region: r.string('STORAGE_REGION', 'us-east-1'),
    },
    bucket: r.string('REGISTRY_BUCKET', 'registry'),
    token: r.string('REGISTRY_TOKEN'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  r.done(cfg);
  if (!BUCKET_NAME.test(cfg.bucket)) {
    throw new ConfigError(`invalid configuration: REGISTRY_BUCKET=${JSON.stringify(cfg.bucket)} is not a bucket name`);
  }
  return cfg;
}

/** S3's bucket naming rule (lower case, digits, dots, hyphens; 3 to 63 characters). */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export async function startRegistry(
  cfg: RegistryConfig,
  s3: S3Client = makeS3Client(cfg.storage),
): Promise<ServiceHandle> {
  const json = new JsonStore(s3, cfg.bucket);
  const bucket = new BucketReadiness(json);
  const app = Fastify({ logger: { level: cfg.logLevel }, bodyLimit: 1024 * 1024 });
  installErrorHandlers(app);
  registryRoutes(app, new RegistryStore(json, () => bucket.ensure()), bearerAuth(cfg.token));
  app.get('/health', async () => ({ status: 'ok', storage: bucket.state() }));

  bucket.startBackground((msg) => app.log.warn(msg));
  let address: string;
  try {
    address = await app.listen({ host: cfg.host, port: cfg.port });
  } catch (err) {
    bucket.stop();
    throw err;
  }
  return {
    url: address.replace('0.0.0.0', '127.0.0.1'),
    async close() {
      bucket.stop();
      await app.close();
      s3.destroy();
    },
  };
}

/** Remembers whether the bucket is known to exist; retries creating it with capped backoff until stopped. */
class BucketReadiness {
  private ok = false;
  private lastError = 'not checked yet';
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;

  constructor(private readonly json: JsonStore) {}

  state(): { ready: boolean; reason?: string } {
    return this.ok ? { ready: true } : { ready: false, reason: this.lastError };
  }

  /** Resolves once the bucket exists; one attempt per call while it does not, so a request never hangs. */
  async ensure(): Promise<void> {
    if (this.ok) return;
    this.inflight ??= this.json
      .ensureBucket()
      .then(() => {
        this.ok = true;
      })
      .catch((err: unknown) => {
        this.lastError = err instanceof Error ? err.message : String(err);
        throw new StorageUnavailableError(`storage not ready: ${this.lastError}`);
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  startBackground(warn: (msg: string) => void, attempt = 0): void {
    if (this.stopped || this.ok) return;
    this.ensure().catch(() => {
      if (this.stopped) return;
      const delay = Math.min(5000, 100 * 2 ** attempt);
      warn(`registry bucket ${this.json.bucket} not ready (${this.lastError}); retrying in ${delay} ms`);
      this.timer = setTimeout(() => this.startBackground(warn, attempt + 1), delay);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
