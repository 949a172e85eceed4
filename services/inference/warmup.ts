// Warm-up before readiness: a fresh Node process runs its first requests through V8's interpreter and spends its
// first seconds of serving compiling the request path (routing, validation, the model, serialisation). Under a CPU
// limit that compiling is throttled with live requests waiting behind it. So the replica first serves a couple of
// thousand requests to itself, in-process (Fastify's inject: no socket), and only then reports ready.
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { ISLANDS, SEXES } from '../model/penguins.ts';

/** The header that marks a warm-up request, with this process's secret: metrics leave such requests out. */
export const WARMUP_HEADER = 'x-warmup';

export interface WarmupResult {
  requests: number;
  ms: number;
}

export class Warmup {
  /** Compared with the header's value, so a client cannot hide its requests from the metrics. */
  readonly token = randomUUID();
  done = false;

  constructor(private readonly requests: number) {
    this.done = requests === 0;
  }

  isWarmupRequest(headers: Record<string, string | string[] | undefined>): boolean {
    return !this.done && headers[WARMUP_HEADER] === this.token;
  }

  /** Alternates POST /predict (batches of 1 to 4 varied instances) and GET /health; any non-2xx answer throws. */
  async run(app: FastifyInstance): Promise<WarmupResult> {
    const t0 = performance.now();
    const headers = { [WARMUP_HEADER]: this.token };
    for (let i = 0; i < this.requests; i++) {
      const res =
        i % 2 === 0
          ? await app.inject({ method: 'POST', url: '/predict', headers, payload: sampleBody(i) })
          : await app.inject({ method: 'GET', url: '/health', headers });
      if (res.statusCode >= 300) throw new Error(`warm-up request ${i + 1} answered ${res.statusCode}: ${res.body}`);
      // inject settles without the event loop turning: let /ready, /metrics and health checks in between.
      if (i % 32 === 31) await yieldToIo();
    }
    this.done = true;
    return { requests: this.requests, ms: Math.round(performance.now() - t0) };
  }
}

function sampleBody(i: number): { instances: object[] } {
  const n = 1 + ((i >> 1) % 4);
  const instances = Array.from({ length: n }, (_, k) => {
    const j = i + k;
    return {
      island: ISLANDS[j % ISLANDS.length],
      bill_length_mm: 35 + (j % 25),
      bill_depth_mm: 14 + (j % 7) / 2,
      flipper_length_mm: 180 + (j % 50),
      body_mass_g: 3000 + ((j * 37) % 3000),
      sex: SEXES[j % SEXES.length],
    };
  });
  return { instances };
}
