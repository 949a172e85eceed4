// The inference service's lifecycle: listen, keep the model current, and drain gracefully on close().
import type { AddressInfo } from 'node:net';
import type { ServiceHandle } from '../common/service.ts';
import { buildApp, type ServingState } from './app.ts';
import type { InferenceConfig } from './config.ts';
import { InferenceMetrics } from './metrics.ts';
import { makeObjectReader } from './object-reader.ts';
import { Warmup } from './warmup.ts';
import { ModelWatcher } from './watcher.ts';

export { type InferenceConfig, inferenceConfigFromEnv } from './config.ts';

export interface InferenceHandle extends ServiceHandle {
  /** True while a model is loaded, warm-up is over and the replica is not draining (what GET /ready reports). */
  ready(): boolean;
}

export async function startInference(cfg: InferenceConfig): Promise<InferenceHandle> {
  const metrics = new InferenceMetrics(cfg.replicaId);
  const s3 = makeObjectReader(cfg.storage);
  let watcher: ModelWatcher | undefined;
  const state: ServingState = {
    model: () => watcher?.current,
    notReadyReason: () => watcher?.reason ?? 'starting',
    draining: false,
    warmup: new Warmup(cfg.warmupRequests),
  };
  const app = await buildApp(cfg, state, metrics);
  watcher = new ModelWatcher({
    registryUrl: cfg.registryUrl,
    s3,
    name: cfg.model.name,
    alias: cfg.model.alias,
    pollIntervalMs: cfg.pollIntervalMs,
    metrics,
    log: app.log,
  });
  const w = watcher;

  await app.listen({ host: cfg.host, port: cfg.port });
  w.start();
  if (!state.warmup.done) {
    void w.firstLoad.then(async () => {
      try {
        const result = await state.warmup.run(app);
        app.log.info(result, 'warmed up');
      } catch (err) {
        // A warm-up that fails must not keep the replica out of rotation: serve cold.
        state.warmup.done = true;
        app.log.warn({ err: (err as Error).message }, 'warm-up failed; serving without it');
      }
    });
  }
  const { port } = app.server.address() as AddressInfo;
  const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    const deadline = Date.now() + cfg.gracePeriodMs;
    // Readiness fails first so the load balancer stops sending new work while we still answer it.
    state.draining = true;
    w.stop();
    app.log.info({ drainDelayMs: cfg.drainDelayMs, gracePeriodMs: cfg.gracePeriodMs }, 'draining');
    await sleep(Math.min(cfg.drainDelayMs, cfg.gracePeriodMs));
    // Stop accepting connections; idle keep-alive sockets close now, busy ones after their response.
    const closed = app.close();
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(0, left));
    });
    const forced = await Promise.race([closed.then(() => false), expired]);
    clearTimeout(timer);
    if (forced) {
      app.log.warn('grace period over: closing the connections still open');
      app.server.closeAllConnections();
      await closed;
    }
    app.log.info('drained');
  };

  return {
    url,
    ready: () => !state.draining && w.current !== undefined && state.warmup.done,
    close: () => {
      closing ??= drain();
      return closing;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
