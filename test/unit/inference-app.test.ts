// The inference HTTP app over real loopback HTTP: predictions, the error contract, readiness, metrics,
// OpenAPI and the concurrency cap. Registry and storage are not involved (see the integration tests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetRows, startTestApp, type TestApp, trainedModel, VALID_INSTANCE } from '../fixtures/inference-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ MAX_INSTANCES: '50', BODY_LIMIT_BYTES: '65536' });
});
afterAll(async () => {
  await t?.close();
});

function post(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return fetch(`${t.url}/predict`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /predict', () => {
  it('predicts dataset rows of every species, with the model and the replica named', async () => {
    const rows = datasetRows();
    const sample = ['Adelie', 'Chinstrap', 'Gentoo'].flatMap((s) => rows.filter((r) => r.species === s).slice(0, 10));
    const res = await post({ instances: sample.map((r) => r.features) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-replica')).toBe('test-replica');
    const body = (await res.json()) as {
      predictions: { species: string; probabilities: Record<string, number> }[];
      model: unknown;
    };
    expect(body.model).toEqual({ name: 'penguins', version: '1', alias: 'production' });
    expect(body.predictions.map((p) => p.species)).toEqual(sample.map((r) => r.species));
    for (const p of body.predictions) {
      expect(Object.keys(p.probabilities).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
      expect(p.probabilities[p.species]).toBe(Math.max(...Object.values(p.probabilities)));
    }
  });

  it('answers 422 with one FastAPI-style entry per problem', async () => {
    const res = await post({
      instances: [{ ...VALID_INSTANCE, island: 'Mars', bill_length_mm: '45', extra: 1, sex: undefined }],
      more: true,
    });
    expect(res.status).toBe(422);
    const { detail } = (await res.json()) as { detail: { loc: unknown[]; type: string; msg: string }[] };
    const byLoc = Object.fromEntries(detail.map((d) => [JSON.stringify(d.loc), d.type]));
    expect(byLoc).toEqual({
      '["body","more"]': 'extra_forbidden',
      '["body","instances",0,"extra"]': 'extra_forbidden',
      '["body","instances",0,"sex"]': 'missing',
      '["body","instances",0,"island"]': 'enum',
      '["body","instances",0,"bill_length_mm"]': 'number_type',
    });
    for (const d of detail) expect(d.msg.length).toBeGreaterThan(0);
  });

  it.each([
    ['no instances', { instances: [] }, 'too_short'],
    ['too many instances', { instances: Array(51).fill(VALID_INSTANCE) }, 'too_long'],
    ['out of range', { instances: [{ ...VALID_INSTANCE, body_mass_g: 1e12 }] }, 'maximum'],
    ['negative', { instances: [{ ...VALID_INSTANCE, bill_depth_mm: -1 }] }, 'exclusiveMinimum'],
    ['not an object', [VALID_INSTANCE], 'object_type'],
  ])('answers 422 for %s', async (_name, body, type) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    const { detail } = (await res.json()) as { detail: { type: string }[] };
    expect(detail.map((d) => d.type)).toContain(type);
  });

  it.each([
    ['malformed JSON', '{"instances": [', { 'content-type': 'application/json' }, 400],
    ['an empty JSON body', '', { 'content-type': 'application/json' }, 400],
    ['text/plain', 'hello', { 'content-type': 'text/plain' }, 415],
    ['a form', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ['a body over BODY_LIMIT_BYTES', `{"pad":"${'x'.repeat(70_000)}"}`, { 'content-type': 'application/json' }, 413],
  ])('answers %s with a JSON error', async (_name, body, headers, status) => {
    const res = await post(body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { detail: string }).detail).toEqual(expect.any(String));
  });

  it('answers 503 with Retry-After while no model is loaded', async () => {
    t.state.loaded = undefined;
    t.state.reason = 'registry unreachable';
    try {
      const res = await post({ instances: [VALID_INSTANCE] });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { detail: string }).detail).toContain('registry unreachable');
    } finally {
      t.state.loaded = trainedModel();
    }
  });
});

describe('routing errors', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const res = await fetch(`${t.url}/nope?x=1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: 'Not found: GET /nope' });
  });

  it('answers a wrong method on a known path with a JSON 405 and Allow', async () => {
    const get = await fetch(`${t.url}/predict`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toEqual({ detail: expect.stringContaining('GET') });
    const del = await fetch(`${t.url}/ready`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('health, readiness, metrics, docs', () => {
  it('is live and ready with the model named', async () => {
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    const res = await fetch(`${t.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      model: { name: 'penguins', version: '1', alias: 'production' },
    });
  });

  it('is not ready, with a reason, without a model or while draining', async () => {
    t.state.loaded = undefined;
    t.state.reason = 'alias penguins@production is not set in the registry';
    try {
      const res = await fetch(`${t.url}/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not_ready', reason: t.state.reason });
      t.state.loaded = trainedModel();
      t.state.draining = true;
      const draining = await fetch(`${t.url}/ready`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toEqual({ status: 'not_ready', reason: 'draining' });
      expect((await fetch(`${t.url}/health`)).status).toBe(200);
    } finally {
      t.state.loaded = trainedModel();
      t.state.draining = false;
    }
  });

  it('exposes Prometheus metrics on its own registry', async () => {
    await post({ instances: [VALID_INSTANCE] });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(
      /^http_requests_total\{route="\/predict",method="POST",status="200",replica="test-replica"\} \d+/m,
    );
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.001",replica="test-replica",route="/predict"}');
    expect(text).toContain('inference_inflight_requests{replica="test-replica"} 0');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('publishes an OpenAPI document with the /predict schema, and the docs UI', async () => {
    const doc = (await (await fetch(`${t.url}/docs/json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(JSON.stringify(doc.paths['/predict'].post.requestBody)).toContain('#/components/schemas/PenguinInstance');
    expect(Object.keys(doc.components.schemas.PenguinInstance.properties)).toContain('flipper_length_mm');
    expect(doc.paths['/metrics']).toBeUndefined();
    const ui = await fetch(`${t.url}/docs`);
    expect(ui.status).toBe(200);
  });
});

describe('concurrency cap', () => {
  it('answers 503 with Retry-After beyond MAX_INFLIGHT predictions', async () => {
    const slow = await startTestApp({ MAX_INFLIGHT: '1', SLOWDOWN_PCT: '2000' });
    try {
      const batch = { instances: Array(1000).fill(VALID_INSTANCE) };
      const req = (body: unknown) =>
        fetch(`${slow.url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const first = req(batch);
      // Wait (bounded) until the first prediction is visibly in flight, then send the second.
      for (let i = 0; i < 200; i++) {
        const m = await (await fetch(`${slow.url}/metrics`)).text();
        if (m.includes('inference_inflight_requests{replica="test-replica"} 1')) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const second = await req({ instances: [VALID_INSTANCE] });
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(((await second.json()) as { detail: string }).detail).toContain('in flight');
      expect((await first).status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});
