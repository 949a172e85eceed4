// Warmup: the requests it serves to itself, the header that marks them, and what a failed one does.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { WARMUP_HEADER, Warmup } from '../../services/inference/warmup.ts';

/** A Fastify app with the two routes the warm-up calls, recording what reached them. */
function recordingApp(predictStatus = 200) {
  const seen: { url: string; method: string; header: unknown; instances?: number }[] = [];
  const app = Fastify();
  app.post('/predict', async (req, reply) => {
    const body = req.body as { instances: unknown[] };
    seen.push({
      url: '/predict',
      method: 'POST',
      header: req.headers[WARMUP_HEADER],
      instances: body.instances.length,
    });
    return reply.code(predictStatus).send({ ok: predictStatus < 300 });
  });
  app.get('/health', async (req) => {
    seen.push({ url: '/health', method: 'GET', header: req.headers[WARMUP_HEADER] });
    return { status: 'ok' };
  });
  return { app, seen };
}

describe('Warmup', () => {
  it('serves N requests, POST /predict and GET /health alternately, each marked with its token', async () => {
    const { app, seen } = recordingApp();
    const warmup = new Warmup(10);
    expect(warmup.done).toBe(false);
    const result = await warmup.run(app);
    expect(result.requests).toBe(10);
    expect(seen.map((s) => s.url)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? '/health' : '/predict')));
    expect(new Set(seen.map((s) => s.header))).toEqual(new Set([warmup.token]));
    expect(seen.filter((s) => s.instances).map((s) => s.instances)).toEqual([1, 2, 3, 4, 1]);
    expect(warmup.done).toBe(true);
  });

  it('recognises only its own token, and only until it is done', async () => {
    const warmup = new Warmup(2);
    expect(warmup.isWarmupRequest({ [WARMUP_HEADER]: warmup.token })).toBe(true);
    expect(warmup.isWarmupRequest({ [WARMUP_HEADER]: 'guess' })).toBe(false);
    expect(warmup.isWarmupRequest({})).toBe(false);
    await warmup.run(recordingApp().app);
    expect(warmup.isWarmupRequest({ [WARMUP_HEADER]: warmup.token })).toBe(false);
  });

  it('is done from the start with 0 requests, and serves none', async () => {
    const { app, seen } = recordingApp();
    const warmup = new Warmup(0);
    expect(warmup.done).toBe(true);
    await warmup.run(app);
    expect(seen).toEqual([]);
  });

  it('throws on an answer that is not 2xx, and is not done', async () => {
    const warmup = new Warmup(4);
    await expect(warmup.run(recordingApp(422).app)).rejects.toThrow(/warm-up request 1 answered 422/);
    expect(warmup.done).toBe(false);
  });
});
