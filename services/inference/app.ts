// The Fastify application: routes, schemas, OpenAPI docs, metrics hooks and the concurrency cap.
// Kept free of lifecycle concerns (listen, model polling, drain), which live in index.ts.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { PenguinFeatures } from '../model/penguins.ts';
import type { InferenceConfig } from './config.ts';
import { installErrorHandling } from './errors.ts';
import type { LoadedModel } from './loader.ts';
import type { InferenceMetrics } from './metrics.ts';
import {
  errorSchema,
  healthSchema,
  instanceSchema,
  predictBodySchema,
  predictResponseSchema,
  readySchema,
  validationErrorSchema,
} from './schemas.ts';
import { burnCpu, CpuCostMeter, processCpuMs } from './slowdown.ts';
import type { Warmup } from './warmup.ts';

function tooManyInstances(max: number) {
  return { loc: ['body', 'instances'], msg: `List should have at most ${max} items`, type: 'too_long' };
}

/** What the routes read from the lifecycle: the current model and whether we are draining. */
export interface ServingState {
  model(): LoadedModel | undefined;
  notReadyReason(): string;
  draining: boolean;
  /** Requests the replica serves itself before it reports ready (warmup.ts). */
  warmup: Warmup;
}

export async function buildApp(
  cfg: InferenceConfig,
  state: ServingState,
  metrics: InferenceMetrics,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: cfg.logLevel },
    // Per-request logging and child loggers cost more than the prediction itself at batch size 1.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    requestIdHeader: false,
    bodyLimit: cfg.bodyLimitBytes,
    // During a drain, requests still arriving on open keep-alive connections are served (with
    // Connection: close) rather than refused: the load balancer stopped routing here at /ready 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: {
      // Strict validation: report every problem, never coerce "12" into 12 nor silently drop extra fields.
      customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false },
    },
  });

  installErrorHandling(app);
  // JSON only: a text/plain body is the wrong content type (415), not a body that fails the schema.
  app.removeContentTypeParser('text/plain');
  app.addSchema(instanceSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Penguins inference', version: '1.0.0', description: 'Species of penguins from measurements' },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const replica = cfg.replicaId;
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-replica', replica);
    // While draining, every response ends its connection: a keep-alive socket that was busy when the
    // listener closed would otherwise stay open (idle) until the grace period forces it shut.
    if (state.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (state.warmup.isWarmupRequest(request.headers)) return done();
    metrics.observeRequest(
      request.routeOptions.url ?? 'unmatched',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  let inflight = 0;
  metrics.inflightSource = () => inflight;
  const slowdown = cfg.slowdownPct / 100;
  const cost = new CpuCostMeter();

  app.post<{ Body: { instances: PenguinFeatures[] } }>(
    '/predict',
    {
      // Ajv with allErrors would report every item of an oversized array: answer that one problem first.
      preValidation: (request, reply, done) => {
        const list = (request.body as { instances?: unknown } | null)?.instances;
        if (Array.isArray(list) && list.length > cfg.maxInstances) {
          reply.code(422).send({ detail: [tooManyInstances(cfg.maxInstances)] });
          return;
        }
        done();
      },
      schema: {
        summary: 'Predict the species of one or more penguins',
        body: predictBodySchema(cfg.maxInstances),
        response: {
          200: predictResponseSchema,
          400: errorSchema,
          413: errorSchema,
          415: errorSchema,
          422: validationErrorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      // Read the model reference once: a concurrent switch cannot hand this request half of each version.
      const loaded = state.model();
      if (!loaded) {
        return reply
          .code(503)
          .header('retry-after', '1')
          .send({ detail: `no model loaded: ${state.notReadyReason()}` });
      }
      if (inflight >= cfg.maxInflight) {
        return reply
          .code(503)
          .header('retry-after', '1')
          .send({ detail: `replica busy: ${cfg.maxInflight} predictions in flight` });
      }
      inflight++;
      try {
        // Warm-up requests skip the knob: its calibration must see only real load.
        if (slowdown === 0 || state.warmup.isWarmupRequest(request.headers)) {
          return { predictions: loaded.model.predict(request.body.instances), model: loaded.label };
        }
        const t0 = processCpuMs();
        const predictions = loaded.model.predict(request.body.instances);
        const modelMs = processCpuMs() - t0;
        // Until the meter has a figure, the model's own CPU time is the (lower) stand-in for the request's.
        const burned = await burnCpu(modelMs * (cost.costPerModelMs ?? 1) * slowdown);
        const wasCalibrated = cost.calibrated;
        cost.record(modelMs, burned);
        if (!wasCalibrated && cost.calibrated) {
          app.log.warn({ slowdownPct: cfg.slowdownPct, costPerModelMs: cost.costPerModelMs }, 'slowdown calibrated');
        }
        return { predictions, model: loaded.label };
      } finally {
        inflight--;
      }
    },
  );

  app.get('/health', { schema: { summary: 'Liveness', response: { 200: healthSchema } } }, async () => ({
    status: 'ok',
    replica,
  }));

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: a model is loaded, the replica has warmed up and is not draining',
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const loaded = state.model();
      if (state.draining) return reply.code(503).send({ status: 'not_ready', reason: 'draining' });
      if (!loaded) return reply.code(503).send({ status: 'not_ready', reason: state.notReadyReason() });
      if (!state.warmup.done) return reply.code(503).send({ status: 'not_ready', reason: 'warming up' });
      return { status: 'ready', model: loaded.label };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  return app;
}
